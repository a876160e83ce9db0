// Reference kernels of Resize, following the ONNX reference implementation,
// and of ResizeGrad, its transpose: per dim, each output coordinate reads
// a few input elements with weights (runtime/core/resize_taps.h); the N-D
// result is the tensor product of the per-dim weights. Taps of weight 0 are
// dropped when the tables are built, so an unresized dim costs one tap.
// ResizeGrad walks the same taps and adds each dy element, times the tap's
// weight, to the x element it read (sums in double); an output element
// outside x (tf_crop_and_resize's extrapolation) passes no gradient.
#include <fmt/format.h>

#include <functional>

#include "runtime/core/resize_taps.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// The per-dim tap tables of a Resize from x (shape `x`) to `sizes`,
/// checked against the node's attributes.
class ResizeMap {
 public:
  ResizeMap(const KernelSpec& spec, const Shape& x) {
    std::vector<int64_t> sizes = spec.attrs.get_ints("sizes");
    if (sizes.size() != x.size()) fail(spec, "attribute 'sizes' must have one entry per dim");
    for (size_t d = 0; d < x.size(); ++d) {
      if (sizes[d] < 0 || (sizes[d] > 0 && x[d] == 0)) fail(spec, "attribute 'sizes' cannot resize x");
    }
    std::vector<float> scales = spec.attrs.get_floats("scales");
    std::vector<float> roi = spec.attrs.get_floats("roi");
    if (!scales.empty() && scales.size() != x.size()) fail(spec, "attribute 'scales' must match the rank");
    if (!roi.empty() && roi.size() != 2 * x.size()) fail(spec, "attribute 'roi' must have 2*rank entries");
    strides_ = strides_of(x);
    for (size_t d = 0; d < x.size(); ++d) {
      double scale = scales.empty() ? (x[d] == 0 ? 1.0 : static_cast<double>(sizes[d]) / static_cast<double>(x[d]))
                                    : static_cast<double>(scales[d]);
      if (!(scale > 0)) fail(spec, "scales must be positive");
      double start = roi.empty() ? 0.0 : roi[d];
      double end = roi.empty() ? 1.0 : roi[x.size() + d];
      dims_.push_back(resize_dim_taps(spec.attrs, x[d], sizes[d], scale, start, end));
    }
    out_shape_ = Shape(sizes.begin(), sizes.end());
  }

  const Shape& out_shape() const { return out_shape_; }

  /// Calls visit(i, index) for every output element, i its flat offset and
  /// `index` its coordinates, in order.
  void for_each_output(const std::function<void(int64_t, const std::vector<int64_t>&)>& visit) const {
    int64_t n = num_elements(out_shape_);
    std::vector<int64_t> index(out_shape_.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      visit(i, index);
      for (size_t d = index.size(); d-- > 0;) {
        if (++index[d] < out_shape_[d]) break;
        index[d] = 0;
      }
    }
  }

  /// Whether output element `index` lies outside x (tf_crop_and_resize).
  bool outside(const std::vector<int64_t>& index) const {
    for (size_t d = 0; d < index.size(); ++d) {
      if (dims_[d].outside[static_cast<size_t>(index[d])]) return true;
    }
    return false;
  }

  /// The interpolated value of output element `index`.
  double gather(const float* x, const std::vector<int64_t>& index, size_t d = 0, int64_t offset = 0) const {
    if (d == index.size()) return x[offset];
    double sum = 0;
    for (const ResizeTap& t : dims_[d].taps[static_cast<size_t>(index[d])]) {
      sum += t.weight * gather(x, index, d + 1, offset + t.index * strides_[d]);
    }
    return sum;
  }

  /// Adds g times each weight to the x elements output element `index` reads.
  void scatter(double g, double* dx, const std::vector<int64_t>& index, size_t d = 0, int64_t offset = 0) const {
    if (d == index.size()) {
      dx[offset] += g;
      return;
    }
    for (const ResizeTap& t : dims_[d].taps[static_cast<size_t>(index[d])]) {
      scatter(g * t.weight, dx, index, d + 1, offset + t.index * strides_[d]);
    }
  }

 private:
  std::vector<ResizeDimTaps> dims_;
  std::vector<int64_t> strides_;  // x's
  Shape out_shape_;
};

/// `spec`, after checking it has one f32 input and one output.
const KernelSpec& checked_f32_unary(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::f32});
  return spec;
}

class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(const KernelSpec& spec)
      : map_(checked_f32_unary(spec), spec.inputs[0].shape),
        extrapolation_(spec.attrs.get_float("extrapolation_value")) {
    expect_output_type(spec, 0, {DType::f32, map_.out_shape()});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    map_.for_each_output([&](int64_t i, const std::vector<int64_t>& index) {
      y[i] = map_.outside(index) ? extrapolation_ : static_cast<float>(map_.gather(x, index));
    });
  }

 private:
  ResizeMap map_;
  float extrapolation_;
};

/// ResizeGrad: dy, attributes of Resize and `input_shape` -> dx.
class ResizeGradKernel final : public Kernel {
 public:
  explicit ResizeGradKernel(const KernelSpec& spec)
      : map_(checked_f32_unary(spec), input_shape(spec)) {
    expect_input_shape(spec, 0, map_.out_shape(), "Resize's output shape for x of input_shape");
    expect_output_type(spec, 0, {DType::f32, input_shape(spec)});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* dy = in[0]->data<float>();
    std::vector<double> dx(static_cast<size_t>(out[0]->num_elements()), 0.0);
    map_.for_each_output([&](int64_t i, const std::vector<int64_t>& index) {
      if (!map_.outside(index)) map_.scatter(dy[i], dx.data(), index);
    });
    std::transform(dx.begin(), dx.end(), out[0]->data<float>(), [](double v) { return static_cast<float>(v); });
  }

 private:
  static Shape input_shape(const KernelSpec& spec) {
    std::vector<int64_t> dims = spec.attrs.get_ints("input_shape");
    return Shape(dims.begin(), dims.end());
  }

  ResizeMap map_;
};

}  // namespace

void register_reference_resize_kernels(KernelRegistry& r) {
  r.add("Resize", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> { return std::make_unique<ResizeKernel>(spec); });
  r.add("ResizeGrad",
        [](const KernelSpec& spec) -> std::unique_ptr<Kernel> { return std::make_unique<ResizeGradKernel>(spec); });
}

}  // namespace graphc
