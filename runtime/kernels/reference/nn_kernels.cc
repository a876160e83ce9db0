// Reference kernels of the neural-network ops: Conv2D and ConvTranspose, pooling,
// normalisation and softmax, all f32 and NCHW.
//
// Sliding windows are direct loops over output positions that skip taps
// falling into the padding. Convolution dot products accumulate in float
// (like MatMul); means, variances and softmax sums accumulate in double.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "runtime/core/conv_transpose_shape.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/normalization.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"
#include "runtime/kernels/reference/window.h"

namespace graphc {
namespace {

/// Conv2D: y[n,o] = b[o] + Σ over the group's input channels c and taps of
/// x[n,c] · w[o,c−group start], with zero padding.
class Conv2DKernel final : public Kernel {
 public:
  explicit Conv2DKernel(const KernelSpec& spec) {
    const Shape& w = spec.inputs[1].shape;
    if (w.size() != 4) fail(spec, fmt::format("w must be [O,C/groups,KH,KW], found {}", spec.inputs[1].to_string()));
    window_ = window_of(spec, spec.inputs[0], w[2], w[3], false);
    groups_ = spec.attrs.get_int("groups");
    out_channels_ = w[0];
    if (groups_ < 1 || window_.channels % groups_ != 0 || out_channels_ % groups_ != 0 ||
        w[1] * groups_ != window_.channels) {
      fail(spec, fmt::format("groups = {} does not fit x {} and w {} (C and O must divide by groups, "
                             "w[1] must be C/groups)",
                             groups_, spec.inputs[0].to_string(), spec.inputs[1].to_string()));
    }
    if (spec.inputs.size() == 3) expect_input_shape(spec, 2, {out_channels_}, "[O] for the bias");
    expect_output_type(spec, 0, {DType::f32, {window_.batch, out_channels_, window_.out_h, window_.out_w}});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Window& g = window_;
    const float* x = in[0]->data<float>();
    const float* w = in[1]->data<float>();
    const float* bias = in.size() == 3 ? in[2]->data<float>() : nullptr;
    float* y = out[0]->data<float>();
    int64_t group_in = g.channels / groups_;
    int64_t group_out = out_channels_ / groups_;
    for (int64_t n = 0; n < g.batch; ++n) {
      for (int64_t o = 0; o < out_channels_; ++o) {
        int64_t first_channel = o / group_out * group_in;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          for (int64_t ow = 0; ow < g.out_w; ++ow) {
            float sum = bias != nullptr ? bias[o] : 0.0f;
            for (int64_t c = 0; c < group_in; ++c) {
              const float* plane = x + ((n * g.channels + first_channel + c) * g.in_h) * g.in_w;
              const float* taps = w + (o * group_in + c) * g.kernel_h * g.kernel_w;
              for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
                for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                  int64_t ih = g.row(oh, kh), iw = g.col(ow, kw);
                  if (g.inside(ih, iw)) sum += plane[ih * g.in_w + iw] * taps[kh * g.kernel_w + kw];
                }
              }
            }
            *y++ = sum;
          }
        }
      }
    }
  }

 private:
  Window window_;
  int64_t groups_ = 1;
  int64_t out_channels_ = 0;
};

/// ConvTranspose: y = b + the transpose of Conv2D. x [N, C, H, W] plays the
/// dy of a Conv2D from y [N, M, OH, OW] with weights w [C, M/groups, KH,
/// KW]; each of that Conv2D's products adds x·w to y.
class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(const KernelSpec& spec)
      : window_(window_over_y(spec)), taps_(spec, "y", window_, spec.inputs[1].shape) {
    expect_input_shape(spec, 0, taps_.output_shape(), "[N, C, H, W] with C = w.shape[0]");
    Shape y{window_.batch, window_.channels, window_.in_h, window_.in_w};
    if (spec.inputs.size() == 3) expect_input_shape(spec, 2, {y[1]}, "[M] for the bias");
    expect_output_type(spec, 0, {DType::f32, y});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->data<float>();
    const float* w = in[1]->data<float>();
    float* y = out[0]->data<float>();
    int64_t plane = window_.in_h * window_.in_w;
    for (int64_t p = 0; p < window_.batch * window_.channels; ++p) {
      std::fill_n(y + p * plane, plane, in.size() == 3 ? in[2]->data<float>()[p % window_.channels] : 0.0f);
    }
    taps_.for_each([&](int64_t y_at, int64_t w_at, int64_t x_at) { y[y_at] += x[x_at] * w[w_at]; });
  }

 private:
  /// The Conv2D window over y: its output is x's H × W; y's size comes from
  /// the attributes.
  static Window window_over_y(const KernelSpec& spec) {
    const Shape& x = spec.inputs[0].shape;
    const Shape& w = spec.inputs[1].shape;
    if (x.size() != 4 || w.size() != 4) {
      fail(spec, fmt::format("x and w must have rank 4, found {} and {}", spec.inputs[0].to_string(),
                             spec.inputs[1].to_string()));
    }
    std::vector<int64_t> strides = ints_attr(spec, "strides", 2, 1);
    std::vector<int64_t> pads = ints_attr(spec, "pads", 4, 0);
    std::vector<int64_t> dilations = ints_attr(spec, "dilations", 2, 1);
    std::vector<int64_t> output_padding = ints_attr(spec, "output_padding", 2, 0);
    Window g;
    g.batch = x[0];
    g.channels = w[1] * spec.attrs.get_int("groups");
    g.kernel_h = w[2], g.kernel_w = w[3];
    g.stride_h = strides[0], g.stride_w = strides[1];
    g.dilation_h = dilations[0], g.dilation_w = dilations[1];
    g.pad_top = pads[0], g.pad_left = pads[1], g.pad_bottom = pads[2], g.pad_right = pads[3];
    g.out_h = x[2], g.out_w = x[3];
    g.in_h = transposed_window_output_size(x[2], w[2], strides[0], pads[0], pads[2], dilations[0], output_padding[0]);
    g.in_w = transposed_window_output_size(x[3], w[3], strides[1], pads[1], pads[3], dilations[1], output_padding[1]);
    if (g.in_h < 1 || g.in_w < 1 || g.kernel_h < 1 || g.kernel_w < 1) {
      fail(spec, fmt::format("x {} and w {} give an empty output", spec.inputs[0].to_string(),
                             spec.inputs[1].to_string()));
    }
    return g;
  }

  Window window_;
  ConvTaps taps_;
};

/// MaxPool and AvgPool. Every pad is smaller than the kernel, so every
/// window overlaps the input. The average divides by the taps inside the
/// input, or with count_include_pad by the taps inside the padded input
/// (taps past the end padding, which ceil_mode can add, never count).
class PoolKernel final : public Kernel {
 public:
  enum class Kind { max, average };

  PoolKernel(const KernelSpec& spec, Kind kind) : kind_(kind) {
    window_ = pool_window_of(spec, spec.inputs[0]);
    count_include_pad_ = kind == Kind::average && spec.attrs.get_bool("count_include_pad");
    expect_output_type(spec, 0, {DType::f32, {window_.batch, window_.channels, window_.out_h, window_.out_w}});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Window& g = window_;
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    for (int64_t plane = 0; plane < g.batch * g.channels; ++plane, x += g.in_h * g.in_w) {
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow) {
          float max = -std::numeric_limits<float>::infinity();
          double sum = 0.0;
          int64_t count = 0;
          for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
            for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
              int64_t ih = g.row(oh, kh), iw = g.col(ow, kw);
              if (!g.inside(ih, iw)) continue;
              float v = x[ih * g.in_w + iw];
              if (v > max || std::isnan(v)) max = v;
              sum += v;
              ++count;
            }
          }
          if (kind_ == Kind::max) {
            *y++ = max;
          } else {
            *y++ = static_cast<float>(sum / static_cast<double>(count_include_pad_ ? g.padded_taps(oh, ow) : count));
          }
        }
      }
    }
  }

 private:
  Kind kind_;
  Window window_;
  bool count_include_pad_ = false;
};

/// Mean over the spatial dims of [N, C, ...] into [N, C, 1, ...].
class GlobalAvgPoolKernel final : public Kernel {
 public:
  explicit GlobalAvgPoolKernel(const KernelSpec& spec) {
    expect_min_rank(spec, 0, 3);
    const Shape& x = spec.inputs[0].shape;
    Shape out(x.size(), 1);
    out[0] = x[0];
    out[1] = x[1];
    expect_output_type(spec, 0, {DType::f32, out});
    planes_ = x[0] * x[1];
    plane_size_ = num_elements(x) / std::max<int64_t>(planes_, 1);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    for (int64_t p = 0; p < planes_; ++p) {
      double sum = 0.0;
      for (int64_t i = 0; i < plane_size_; ++i) sum += x[p * plane_size_ + i];
      y[p] = static_cast<float>(sum / static_cast<double>(plane_size_));
    }
  }

 private:
  int64_t planes_ = 0;
  int64_t plane_size_ = 0;
};

/// Inference BatchNorm: y = (x − mean[c]) / √(var[c] + ε) · scale[c] + bias[c].
class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelSpec& spec) : epsilon_(non_negative_float_attr(spec, "epsilon")) {
    expect_min_rank(spec, 0, 2);
    const Shape& x = spec.inputs[0].shape;
    static const char* const kNames[] = {"scale", "bias", "mean", "var"};
    for (size_t i = 1; i < 5; ++i) expect_input_shape(spec, i, {x[1]}, fmt::format("[C] for {}", kNames[i - 1]));
    expect_output_type(spec, 0, spec.inputs[0]);
    batch_ = x[0];
    channels_ = x[1];
    plane_size_ = num_elements(Shape(x.begin() + 2, x.end()));
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->data<float>();
    const float* scale = in[1]->data<float>();
    const float* bias = in[2]->data<float>();
    const float* mean = in[3]->data<float>();
    const float* var = in[4]->data<float>();
    float* y = out[0]->data<float>();
    for (int64_t n = 0; n < batch_; ++n) {
      for (int64_t c = 0; c < channels_; ++c) {
        float factor = scale[c] / std::sqrt(var[c] + epsilon_);
        for (int64_t i = 0; i < plane_size_; ++i, ++x, ++y) *y = (*x - mean[c]) * factor + bias[c];
      }
    }
  }

 private:
  float epsilon_;
  int64_t batch_ = 0, channels_ = 0, plane_size_ = 0;
};

/// Training BatchNorm: y normalised with the batch's moments per channel;
/// the running statistics move toward the batch's by `momentum` (the
/// running variance toward the unbiased batch variance).
class BatchNormTrainingKernel final : public Kernel {
 public:
  explicit BatchNormTrainingKernel(const KernelSpec& spec)
      : epsilon_(non_negative_float_attr(spec, "epsilon")), momentum_(spec.attrs.get_float("momentum")) {
    expect_min_rank(spec, 0, 2);
    const Shape& x = spec.inputs[0].shape;
    static const char* const kNames[] = {"scale", "bias", "running_mean", "running_var"};
    for (size_t i = 1; i < 5; ++i) expect_input_shape(spec, i, {x[1]}, fmt::format("[C] for {}", kNames[i - 1]));
    if (!(momentum_ >= 0.0f && momentum_ <= 1.0f)) fail(spec, fmt::format("momentum {} is not in [0, 1]", momentum_));
    expect_output_type(spec, 0, spec.inputs[0]);
    expect_output_type(spec, 1, spec.inputs[1]);
    expect_output_type(spec, 2, spec.inputs[1]);
    groups_ = NormalizationGroups::per_channel(x);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* x = in[0]->data<float>();
    const float* scale = in[1]->data<float>();
    const float* bias = in[2]->data<float>();
    float* y = out[0]->data<float>();
    auto count = static_cast<double>(groups_.members.size());
    for (size_t c = 0; c < groups_.groups.size(); ++c) {
      Moments m = groups_.moments(x, c, epsilon_);
      for (int64_t o : groups_.members) {
        int64_t i = groups_.groups[c] + o;
        y[i] = static_cast<float>((x[i] - m.mean) * m.inv_std) * scale[c] + bias[c];
      }
      double unbiased = count > 1 ? m.variance * count / (count - 1) : m.variance;
      out[1]->data<float>()[c] = static_cast<float>((1 - momentum_) * in[3]->data<float>()[c] + momentum_ * m.mean);
      out[2]->data<float>()[c] = static_cast<float>((1 - momentum_) * in[4]->data<float>()[c] + momentum_ * unbiased);
    }
  }

 private:
  float epsilon_;
  float momentum_;
  NormalizationGroups groups_;
};

/// LayerNorm over the trailing dims from `axis`: each row of `size` elements
/// is normalised to mean 0 and (population) variance 1, then scaled and
/// shifted elementwise.
class LayerNormKernel final : public Kernel {
 public:
  explicit LayerNormKernel(const KernelSpec& spec) : epsilon_(non_negative_float_attr(spec, "epsilon")) {
    expect_min_rank(spec, 0, 1);
    const Shape& x = spec.inputs[0].shape;
    int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(x.size()));
    Shape normalized(x.begin() + axis, x.end());
    for (size_t i = 1; i < spec.inputs.size(); ++i) {
      expect_input_shape(spec, i, normalized, i == 1 ? "x.shape[axis:] for scale" : "x.shape[axis:] for bias");
    }
    expect_output_type(spec, 0, spec.inputs[0]);
    size_ = num_elements(normalized);
    rows_ = num_elements(Shape(x.begin(), x.begin() + axis));
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* scale = in[1]->data<float>();
    const float* bias = in.size() == 3 ? in[2]->data<float>() : nullptr;
    for (int64_t r = 0; r < rows_; ++r) {
      const float* x = in[0]->data<float>() + r * size_;
      float* y = out[0]->data<float>() + r * size_;
      double sum = 0.0;
      for (int64_t i = 0; i < size_; ++i) sum += x[i];
      double mean = sum / static_cast<double>(size_);
      double squares = 0.0;
      for (int64_t i = 0; i < size_; ++i) squares += (x[i] - mean) * (x[i] - mean);
      double inv_std = 1.0 / std::sqrt(squares / static_cast<double>(size_) + epsilon_);
      for (int64_t i = 0; i < size_; ++i) {
        y[i] = static_cast<float>((x[i] - mean) * inv_std) * scale[i] + (bias != nullptr ? bias[i] : 0.0f);
      }
    }
  }

 private:
  float epsilon_;
  int64_t rows_ = 0, size_ = 0;
};

/// Softmax and LogSoftmax along one axis, the input viewed as
/// [outer, length, inner]. The max is subtracted before exponentiating.
class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(const KernelSpec& spec, bool log) : log_(log) {
    expect_min_rank(spec, 0, 1);
    const Shape& x = spec.inputs[0].shape;
    int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(x.size()));
    expect_output_type(spec, 0, spec.inputs[0]);
    outer_ = num_elements(Shape(x.begin(), x.begin() + axis));
    length_ = x[axis];
    inner_ = num_elements(Shape(x.begin() + axis + 1, x.end()));
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t i = 0; i < inner_; ++i) {
        // Element j of this lane is at j * inner_.
        const float* x = in[0]->data<float>() + o * length_ * inner_ + i;
        float* y = out[0]->data<float>() + o * length_ * inner_ + i;
        float max = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < length_; ++j) max = std::max(max, x[j * inner_]);
        double sum = 0.0;
        for (int64_t j = 0; j < length_; ++j) sum += std::exp(static_cast<double>(x[j * inner_] - max));
        for (int64_t j = 0; j < length_; ++j) {
          float shifted = x[j * inner_] - max;
          y[j * inner_] = log_ ? static_cast<float>(shifted - std::log(sum))
                               : static_cast<float>(std::exp(static_cast<double>(shifted)) / sum);
        }
      }
    }
  }

 private:
  bool log_;
  int64_t outer_ = 0, length_ = 0, inner_ = 0;
};

}  // namespace

void register_reference_nn_kernels(KernelRegistry& r) {
  r.add("Conv2D", float_op<Conv2DKernel>(2, 3));
  r.add("ConvTranspose", float_op<ConvTransposeKernel>(2, 3));
  r.add("MaxPool", float_op<PoolKernel>(1, 1, PoolKernel::Kind::max));
  r.add("AvgPool", float_op<PoolKernel>(1, 1, PoolKernel::Kind::average));
  r.add("GlobalAvgPool", float_op<GlobalAvgPoolKernel>(1, 1));
  r.add("BatchNorm", float_op<BatchNormKernel>(5, 5));
  r.add("LayerNorm", float_op<LayerNormKernel>(2, 3));
  r.add("BatchNormTraining", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_arity(spec, 5, 5, 3);
    expect_input_dtype(spec, 0, {DType::f32});
    expect_one_dtype(spec);
    return std::make_unique<BatchNormTrainingKernel>(spec);
  });
  r.add("Softmax", float_op<SoftmaxKernel>(1, 1, false));
  r.add("LogSoftmax", float_op<SoftmaxKernel>(1, 1, true));
}

}  // namespace graphc
