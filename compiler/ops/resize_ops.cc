// Resize: ONNX-style interpolation (nearest, linear, cubic) to fixed sizes,
// and its backward op ResizeGrad (the transpose of the same linear map).
#include <fmt/format.h>

#include <map>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

std::vector<TensorType> infer_resize(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  const TensorType& x = ctx.input(0);
  std::vector<int64_t> sizes = ctx.attrs().get_ints("sizes");
  if (sizes.size() != x.shape.size()) {
    ctx.fail(fmt::format("attribute 'sizes' = [{}] must have one entry per dim of x {}", fmt::join(sizes, ","),
                         x.to_string()));
  }
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0 || (sizes[d] > 0 && x.shape[d] == 0)) {
      ctx.fail(fmt::format("attribute 'sizes' = [{}] cannot resize x {}", fmt::join(sizes, ","), x.to_string()));
    }
  }
  std::vector<float> scales = ctx.attrs().get_floats("scales");
  if (!scales.empty() && scales.size() != sizes.size()) ctx.fail("attribute 'scales' must be empty or match 'sizes'");
  for (float s : scales) {
    if (!(s > 0)) ctx.fail("attribute 'scales' must hold positive values");
  }
  std::vector<float> roi = ctx.attrs().get_floats("roi");
  if (!roi.empty() && roi.size() != 2 * sizes.size()) ctx.fail("attribute 'roi' must be empty or have 2*rank entries");
  one_of(ctx, "mode", {"nearest", "linear", "cubic"});
  one_of(ctx, "coordinate_transformation_mode", {"half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners",
                                                  "tf_half_pixel_for_nn", "tf_crop_and_resize"});
  one_of(ctx, "nearest_mode", {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"});
  return {{x.dtype, Shape(sizes.begin(), sizes.end())}};
}

/// ResizeGrad: dy must be what Resize gives for an x of `input_shape`.
std::vector<TensorType> infer_resize_grad(const InferContext& ctx) {
  ctx.expect_dtype(0, {DType::f32});
  std::vector<int64_t> dims = ctx.attrs().get_ints("input_shape");
  for (int64_t d : dims) {
    if (d < 0) ctx.fail(fmt::format("attribute 'input_shape' = [{}] has a negative dim", fmt::join(dims, ",")));
  }
  TensorType x{DType::f32, Shape(dims.begin(), dims.end())};
  InferContext forward(ctx.attrs(), {x}, {});
  TensorType y = infer_resize(forward).front();
  if (ctx.input(0) != y) {
    ctx.fail(fmt::format("dy has type {}, expected {} (Resize's output for x {})", ctx.input(0).to_string(),
                         y.to_string(), x.to_string()));
  }
  return {x};
}

/// dx = ResizeGrad(dy) with Resize's attributes and x's shape.
std::vector<ir::Value*> resize_gradient(GradientContext& g) {
  std::map<std::string, proto::AttrValue> attrs(g.attrs().values().begin(), g.attrs().values().end());
  attrs["input_shape"] = attr_ints(g.input(0)->type().shape);
  return {g.add("ResizeGrad", {g.grad()}, std::move(attrs))};
}

/// An op with Resize's attributes.
OpBuilder resize_op(const char* name) {
  return OpBuilder(name)
      .attr("sizes", AttrType::ints, "the output shape")
      .attr("scales", AttrType::floats, attr_floats({}), "per-dim scale for the coordinate transform; [] = sizes/dims")
      .attr("roi", AttrType::floats, attr_floats({}), "starts then ends (normalised) for tf_crop_and_resize")
      .attr("mode", AttrType::string, attr_string("nearest"), "\"nearest\", \"linear\" or \"cubic\"")
      .attr("coordinate_transformation_mode", AttrType::string, attr_string("half_pixel"),
            "how output coordinates map to input coordinates")
      .attr("nearest_mode", AttrType::string, attr_string("round_prefer_floor"), "rounding of \"nearest\"")
      .attr("cubic_coeff_a", AttrType::float_, attr_float(-0.75f), "the cubic kernel's a")
      .attr("exclude_outside", AttrType::bool_, attr_bool(false), "give taps outside x weight 0 (renormalised)")
      .attr("extrapolation_value", AttrType::float_, attr_float(0.0f), "tf_crop_and_resize's value outside x");
}

}  // namespace

void register_resize_ops(OpRegistry& r) {
  r.add(resize_op("Resize")
            .doc("Interpolates x to `sizes` (ONNX Resize semantics).")
            .input("x")
            .output("y")
            .infer(infer_resize)
            .gradient(resize_gradient));
  r.add(resize_op("ResizeGrad")
            .doc("dx of Resize: each dy element added to the x elements its output read, times their weights.")
            .input("dy")
            .output("dx")
            .attr("input_shape", AttrType::ints, "the shape of Resize's x")
            .infer(infer_resize_grad));
}

}  // namespace graphc::ops
