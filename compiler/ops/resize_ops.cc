// Resize: ONNX-style interpolation (nearest, linear, cubic) to fixed sizes.
#include <fmt/format.h>

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

}  // namespace

void register_resize_ops(OpRegistry& r) {
  r.add(OpBuilder("Resize")
            .doc("Interpolates x to `sizes` (ONNX Resize semantics).")
            .input("x")
            .output("y")
            .attr("sizes", AttrType::ints, "the output shape")
            .attr("scales", AttrType::floats, attr_floats({}), "per-dim scale for the coordinate transform; [] = sizes/dims")
            .attr("roi", AttrType::floats, attr_floats({}), "starts then ends (normalised) for tf_crop_and_resize")
            .attr("mode", AttrType::string, attr_string("nearest"), "\"nearest\", \"linear\" or \"cubic\"")
            .attr("coordinate_transformation_mode", AttrType::string, attr_string("half_pixel"),
                  "how output coordinates map to input coordinates")
            .attr("nearest_mode", AttrType::string, attr_string("round_prefer_floor"), "rounding of \"nearest\"")
            .attr("cubic_coeff_a", AttrType::float_, attr_float(-0.75f), "the cubic kernel's a")
            .attr("exclude_outside", AttrType::bool_, attr_bool(false), "give taps outside x weight 0 (renormalised)")
            .attr("extrapolation_value", AttrType::float_, attr_float(0.0f), "tf_crop_and_resize's value outside x")
            .infer(infer_resize));
}

}  // namespace graphc::ops
