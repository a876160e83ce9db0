// oneDNN kernels of the neural-network ops: Conv2D, pooling, BatchNorm,
// LayerNorm, Softmax and LogSoftmax, f32.
//
// Conv2D lets oneDNN choose its layouts (`format_tag::any`): weights that are
// module constants are reordered once at load, activations per run through
// the kernel's scratch block when they are stored in another layout than the
// convolution wants. The assign-layout pass stores activations between
// convolutions channels-last, the layout oneDNN's fastest f32 convolutions
// choose on AVX-512, so those reorders vanish. Conv2D and pooling read each
// operand in the layout it is stored in (KernelSpec::input_layouts); the
// other ops work on plain tensors.
//
// Semantics against docs/ops.md: oneDNN max pooling never lets padding win,
// average pooling excludes or includes padding as asked; `ceil_mode` is
// expressed as extra end padding, which include-padding averages would
// count, so that case stays on the reference kernel (window.h). A NaN
// inside a max pooling window is propagated by the reference kernel but not
// guaranteed by oneDNN's vector max. LayerNorm's normalised dims are
// flattened into one.
#include <fmt/format.h>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/onednn/epilogue_post_ops.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"
#include "runtime/kernels/onednn/window.h"

namespace graphc {
namespace {

using onednn::PrimitiveKernel;
using dnnl::memory;

/// Checks the arity and that every tensor is f32 and non-empty, and that input
/// 0 has rank `rank` (or any rank >= -rank when `rank` is negative).
void expect_shapes(const KernelSpec& spec, size_t min_inputs, size_t max_inputs, int64_t rank) {
  onednn::expect_f32_nonempty(spec);
  if (spec.inputs.size() < min_inputs || spec.inputs.size() > max_inputs || spec.outputs.size() != 1) {
    onednn::unavailable("unexpected number of inputs or outputs");
  }
  auto x_rank = static_cast<int64_t>(spec.inputs[0].shape.size());
  if (rank >= 0 ? x_rank != rank : x_rank < -rank) {
    onednn::unavailable(fmt::format("x {} has rank {}", spec.inputs[0].to_string(), x_rank));
  }
}

/// Checks the output has input 0's type (the primitive writes it as such).
void expect_output_like_input(const KernelSpec& spec) {
  if (spec.outputs[0] != spec.inputs[0]) onednn::unavailable("the output's type is not x's");
}

/// Conv2D, and FusedConv2D with its epilogue as post-ops.
std::unique_ptr<Kernel> make_conv2d(const KernelSpec& spec) {
  expect_shapes(spec, 2, spec.inputs.size(), 4);
  const Shape& x = spec.inputs[0].shape;
  const Shape& w = spec.inputs[1].shape;
  const Shape& y = spec.outputs[0].shape;
  onednn::EpiloguePostOps epilogue(spec, y, /*accumulate=*/true);
  if (epilogue.anchor_inputs() > 3) onednn::unavailable("expected x, w[, b] before the epilogue's addends");
  onednn::ConvWindow window = onednn::conv_window(spec, x, w);
  memory::desc w_stored = onednn::stored_desc(window.weights, spec.input_layout(1));
  memory::desc bias = onednn::plain_desc({w[0]});
  bool has_bias = epilogue.anchor_inputs() == 3;
  if (has_bias && spec.inputs[2].shape != Shape{w[0]}) onednn::unavailable("the bias is not [O]");
  using Conv = dnnl::convolution_forward;
  auto src = onednn::any_desc(x), weights = onednn::any_desc(window.weights), dst = onednn::any_desc(y);
  auto make_pd = [&](const dnnl::primitive_attr& attr) {
    return onednn::make_primitive_desc_with<Conv>("convolution", attr, [&] {
      auto kind = dnnl::prop_kind::forward_inference;
      auto direct = dnnl::algorithm::convolution_direct;
      return has_bias ? Conv::desc(kind, direct, src, weights, bias, dst, window.strides, window.dilations,
                                   window.pad_begin, window.pad_end)
                      : Conv::desc(kind, direct, src, weights, dst, window.strides, window.dilations,
                                   window.pad_begin, window.pad_end);
    });
  };
  auto pd = make_pd(epilogue.attr());
  auto kernel = std::make_unique<PrimitiveKernel>(pd);
  kernel->bind_input(DNNL_ARG_SRC, 0, onednn::stored_input(spec, 0));
  kernel->bind_input(DNNL_ARG_WEIGHTS, 1, w_stored, onednn::constant_input(spec, 1));
  if (has_bias) kernel->bind_input(DNNL_ARG_BIAS, 2, bias);
  kernel->bind_output(DNNL_ARG_DST, 0, onednn::stored_output(spec, 0));
  epilogue.bind_addends(*kernel);
  return kernel;
}

/// A primitive with one source and one destination, as stored.
std::unique_ptr<Kernel> src_dst_kernel(const dnnl::primitive_desc& pd, const KernelSpec& spec) {
  auto kernel = std::make_unique<PrimitiveKernel>(pd);
  kernel->bind_input(DNNL_ARG_SRC, 0, onednn::stored_input(spec, 0));
  kernel->bind_output(DNNL_ARG_DST, 0, onednn::stored_output(spec, 0));
  return kernel;
}

KernelFactory pool(bool max) {
  return [max](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_shapes(spec, 1, 1, 4);
    const Shape& x = spec.inputs[0].shape;
    const Shape& y = spec.outputs[0].shape;
    onednn::PoolWindow window = onednn::pool_window(spec, x, y, max);
    using Pool = dnnl::pooling_forward;
    auto pd = onednn::make_primitive_desc<Pool>("pooling primitive", [&] {
      // y in x's layout: oneDNN's fast poolings need one layout for both, so
      // a y stored otherwise (where a channels-last chain ends) is reordered.
      return Pool::desc(dnnl::prop_kind::forward_inference, window.algorithm, onednn::stored_input(spec, 0),
                        onednn::any_desc(y), window.strides, window.kernel, window.pad_begin, window.pad_end);
    });
    return src_dst_kernel(pd, spec);
  };
}

std::unique_ptr<Kernel> make_global_avg_pool(const KernelSpec& spec) {
  expect_shapes(spec, 1, 1, -3);
  const Shape& x = spec.inputs[0].shape;
  Shape y(x.size(), 1);
  y[0] = x[0];
  y[1] = x[1];
  if (spec.outputs[0].shape != y) onednn::unavailable("the output is not [N,C,1,...]");
  auto pd = onednn::make_primitive_desc<dnnl::reduction>("reduction primitive", [&] {
    return dnnl::reduction::desc(dnnl::algorithm::reduction_mean, onednn::plain_desc(x), onednn::plain_desc(y), 0.0f,
                                 0.0f);
  });
  return src_dst_kernel(pd, spec);
}

std::unique_ptr<Kernel> make_batch_norm(const KernelSpec& spec) {
  expect_shapes(spec, 5, 5, -2);
  expect_output_like_input(spec);
  const Shape& x = spec.inputs[0].shape;
  if (x.size() > 5) onednn::unavailable(fmt::format("x {} has rank > 5", spec.inputs[0].to_string()));
  for (size_t i = 1; i < 5; ++i) {
    if (spec.inputs[i].shape != Shape{x[1]}) onednn::unavailable("scale, bias, mean and var must be [C]");
  }
  using BatchNorm = dnnl::batch_normalization_forward;
  auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
               dnnl::normalization_flags::use_shift;
  memory::desc data = onednn::plain_desc(x);
  float epsilon = spec.attrs.get_float("epsilon");
  auto pd = onednn::make_primitive_desc<BatchNorm>("batch normalization primitive", [&] {
    return BatchNorm::desc(dnnl::prop_kind::forward_inference, data, epsilon, flags);
  });
  memory::desc channels = onednn::plain_desc({x[1]});
  auto kernel = std::make_unique<PrimitiveKernel>(pd);
  kernel->bind_input(DNNL_ARG_SRC, 0, data);
  kernel->bind_input(DNNL_ARG_SCALE, 1, channels);
  kernel->bind_input(DNNL_ARG_SHIFT, 2, channels);
  kernel->bind_input(DNNL_ARG_MEAN, 3, channels);
  kernel->bind_input(DNNL_ARG_VARIANCE, 4, channels);
  kernel->bind_output(DNNL_ARG_DST, 0, data);
  return kernel;
}

std::unique_ptr<Kernel> make_layer_norm(const KernelSpec& spec) {
  expect_shapes(spec, 2, 3, -1);
  expect_output_like_input(spec);
  const Shape& x = spec.inputs[0].shape;
  auto axis = normalize_axis(spec.attrs.get_int("axis"), static_cast<int64_t>(x.size()));
  if (!axis) onednn::unavailable("axis out of range");
  Shape normalized(x.begin() + *axis, x.end());
  for (size_t i = 1; i < spec.inputs.size(); ++i) {
    if (spec.inputs[i].shape != normalized) onednn::unavailable("scale and bias must be x.shape[axis:]");
  }
  int64_t size = num_elements(normalized);
  memory::desc data = onednn::plain_desc({num_elements(x) / size, size});
  bool has_bias = spec.inputs.size() == 3;
  auto flags = dnnl::normalization_flags::use_scale;
  if (has_bias) flags = flags | dnnl::normalization_flags::use_shift;
  using LayerNorm = dnnl::layer_normalization_forward;
  float epsilon = spec.attrs.get_float("epsilon");
  auto pd = onednn::make_primitive_desc<LayerNorm>("layer normalization primitive", [&] {
    return LayerNorm::desc(dnnl::prop_kind::forward_inference, data, epsilon, flags);
  });
  memory::desc affine = onednn::plain_desc({size});
  auto kernel = std::make_unique<PrimitiveKernel>(pd);
  kernel->bind_input(DNNL_ARG_SRC, 0, data);
  kernel->bind_input(DNNL_ARG_SCALE, 1, affine);
  if (has_bias) kernel->bind_input(DNNL_ARG_SHIFT, 2, affine);
  kernel->bind_output(DNNL_ARG_DST, 0, data);
  return kernel;
}

KernelFactory softmax(dnnl::algorithm algorithm) {
  return [algorithm](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_shapes(spec, 1, 1, -1);
    expect_output_like_input(spec);
    const Shape& x = spec.inputs[0].shape;
    auto axis = normalize_axis(spec.attrs.get_int("axis"), static_cast<int64_t>(x.size()));
    if (!axis) onednn::unavailable("axis out of range");
    memory::desc data = onednn::plain_desc(x);
    using Softmax = dnnl::softmax_v2_forward;
    auto pd = onednn::make_primitive_desc<Softmax>("softmax primitive", [&] {
      return Softmax::desc(dnnl::prop_kind::forward_inference, algorithm, data, data, static_cast<int>(*axis));
    });
    return src_dst_kernel(pd, spec);
  };
}

}  // namespace

void register_onednn_nn_kernels(KernelRegistry& r) {
  // These read their operands' layouts (KernelSpec::input_layouts).
  r.add("Conv2D", make_conv2d, true);
  r.add("FusedConv2D", make_conv2d, true);
  r.add("MaxPool", pool(true), true);
  r.add("AvgPool", pool(false), true);
  r.add("GlobalAvgPool", make_global_avg_pool);
  r.add("BatchNorm", make_batch_norm);
  r.add("LayerNorm", make_layer_norm);
  r.add("Softmax", softmax(dnnl::algorithm::softmax_accurate));
  r.add("LogSoftmax", softmax(dnnl::algorithm::softmax_log));
}

}  // namespace graphc
