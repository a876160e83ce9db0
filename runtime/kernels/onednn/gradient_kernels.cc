// oneDNN kernels of the gradient ops (compiler/ops/gradient_ops.cc), f32:
// Conv2DBackpropInput and Conv2DBackpropFilter (convolution
// backward data and weights), MaxPoolGrad and AvgPoolGrad (pooling
// backward), ReluGrad and GeluGrad (eltwise backward).
//
// A backward primitive descriptor is built from a forward one, its hint;
// both are created once, at load. The convolutions let oneDNN choose the
// layouts (`format_tag::any`, blocked) of their activations, reordered into
// the scratch block per run (dx and dw back out of it), except that the
// backward data convolution takes dy and dx as stored when both are
// channels-last (measured: see backward_data_descs and the weights
// factory). The poolings work in their source's layout. Both convolutions sum their
// products in another order than the reference kernels.
//
// MaxPoolGrad gets dy and x, but oneDNN's max pooling backward reads which
// tap won each window from the forward primitive's workspace, which the
// graph does not keep. So the kernel is a chain (PrimitiveKernel::then):
// the forward pooling (forward_training) writes y and the workspace into the
// scratch block, then the backward sends each dy to its window's winner.
// The winner of a tie is the first tap in row-major window order, as in the
// reference kernel (MaxPool's `v > max` scan): oneDNN also replaces the
// running max only when a tap is strictly greater. A NaN in a window is
// the winner in the reference kernel, not necessarily in oneDNN's.
//
// ReluGrad is oneDNN's dy·(x > 0 ? 1 : 0): where x <= 0 it gives 0·dy,
// which is −0 for a negative dy and NaN for an infinite or NaN dy, where
// the reference writes +0.
#include <fmt/format.h>

#include <type_traits>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"
#include "runtime/kernels/onednn/window.h"

namespace graphc {
namespace {

using onednn::PrimitiveKernel;
using dnnl::memory;

/// Checks `inputs` inputs and `outputs` outputs, all f32 and non-empty, and
/// that output 0 has type `output` (which the op's attributes or inputs give).
void expect_types(const KernelSpec& spec, size_t inputs, const TensorType& output, size_t outputs = 1) {
  onednn::expect_f32_nonempty(spec);
  if (spec.inputs.size() != inputs || spec.outputs.size() != outputs) {
    onednn::unavailable("unexpected number of inputs or outputs");
  }
  if (spec.outputs[0] != output) {
    onednn::unavailable(fmt::format("the output {} is not {}", spec.outputs[0].to_string(), output.to_string()));
  }
}

/// The f32 type of the int list attribute `attr` (a forward input's shape).
TensorType shape_attr(const KernelSpec& spec, const char* attr) { return {DType::f32, spec.attrs.get_ints(attr)}; }

/// The descriptors of the backward-data convolution's dx and dy: both
/// channels-last as stored when both are (oneDNN 2.6's jit backward data
/// convolution reads them directly as fast as its own blocked format, so no
/// reorder runs), else `any` for both (the blocked format oneDNN picks; a
/// mixed pair makes it choose a slow implementation).
std::pair<memory::desc, memory::desc> backward_data_descs(const KernelSpec& spec, const Shape& dx, const Shape& dy) {
  if (spec.output_layout(0) == Layout::channels_last && spec.input_layout(0) == Layout::channels_last) {
    return {onednn::stored_output(spec, 0), onednn::stored_input(spec, 0)};
  }
  return {onednn::any_desc(dx), onednn::any_desc(dy)};
}

/// Conv2D's forward primitive descriptor for x, w (oneDNN's dims, a layout
/// oneDNN chooses), y and, `with_bias`, a bias: the hint of the backward
/// primitives.
dnnl::convolution_forward::primitive_desc conv_forward_hint(const onednn::ConvWindow& window, const memory::desc& x,
                                                            const memory::desc& y, bool with_bias) {
  using Conv = dnnl::convolution_forward;
  return onednn::make_primitive_desc<Conv>("convolution", [&] {
    auto kind = dnnl::prop_kind::forward_training;
    auto direct = dnnl::algorithm::convolution_direct;
    auto weights = onednn::any_desc(window.weights);
    return with_bias ? Conv::desc(kind, direct, x, weights, onednn::plain_desc({y.dims()[1]}), y, window.strides,
                                  window.dilations, window.pad_begin, window.pad_end)
                     : Conv::desc(kind, direct, x, weights, y, window.strides, window.dilations, window.pad_begin,
                                  window.pad_end);
  });
}

/// A convolution backward primitive (convolution_backward_data or
/// _weights: their descriptors take the same operands) for `window`, whose
/// forward source is `x` and destination `dy` (as stored, or `any`), with the
/// forward primitive as its hint. `with_bias` (weights only): it also sums
/// dy into the bias gradient.
template <class Backward>
typename Backward::primitive_desc conv_backward_desc(const char* what, const onednn::ConvWindow& window,
                                                     const memory::desc& x, const memory::desc& dy,
                                                     bool with_bias = false) {
  auto hint = conv_forward_hint(window, x, dy, with_bias);
  return onednn::make_primitive_desc<Backward>(
      what,
      [&] {
        auto direct = dnnl::algorithm::convolution_direct;
        auto weights = onednn::any_desc(window.weights);
        if constexpr (std::is_same_v<Backward, dnnl::convolution_backward_weights>) {
          if (with_bias) {
            return typename Backward::desc(direct, x, weights, onednn::plain_desc({dy.dims()[1]}), dy,
                                           window.strides, window.dilations, window.pad_begin, window.pad_end);
          }
        }
        return typename Backward::desc(direct, x, weights, dy, window.strides, window.dilations, window.pad_begin,
                                       window.pad_end);
      },
      hint);
}

/// Conv2DBackpropInput(dy, w) -> dx, of shape `input_shape`.
std::unique_ptr<Kernel> make_conv_backprop_input(const KernelSpec& spec) {
  expect_types(spec, 2, shape_attr(spec, "input_shape"));
  const Shape& dy = spec.inputs[0].shape;
  const Shape& w = spec.inputs[1].shape;
  const Shape& dx = spec.outputs[0].shape;
  onednn::ConvWindow window = onednn::conv_window(spec, dx, w);
  auto [dx_desc, dy_desc] = backward_data_descs(spec, dx, dy);
  auto kernel = std::make_unique<PrimitiveKernel>(conv_backward_desc<dnnl::convolution_backward_data>(
      "convolution backward data primitive", window, dx_desc, dy_desc));
  kernel->bind_input(DNNL_ARG_DIFF_DST, 0, onednn::stored_input(spec, 0));
  kernel->bind_input(DNNL_ARG_WEIGHTS, 1, onednn::stored_desc(window.weights, spec.input_layout(1)),
                     onednn::constant_input(spec, 1));
  kernel->bind_output(DNNL_ARG_DIFF_SRC, 0, onednn::stored_output(spec, 0));
  return kernel;
}

/// Conv2DBackpropFilter(dy, x) -> dw, of shape `filter_shape`, and with
/// `bias_gradient` db (the primitive's diff_bias).
std::unique_ptr<Kernel> make_conv_backprop_filter(const KernelSpec& spec) {
  bool bias = spec.outputs.size() == 2;
  expect_types(spec, 2, shape_attr(spec, "filter_shape"), bias ? 2 : 1);
  const Shape& dy = spec.inputs[0].shape;
  const Shape& x = spec.inputs[1].shape;
  const Shape& dw = spec.outputs[0].shape;
  if (bias && spec.outputs[1].shape != Shape{dy[1]}) onednn::unavailable("db is not [O]");
  onednn::ConvWindow window = onednn::conv_window(spec, x, dw);
  // In oneDNN's blocked layouts even for channels-last x and dy: its jit
  // backward weights convolution on channels-last is slower than reordering
  // (4.1 vs 2.9 ms for the CNN's conv2 at batch 128, reorders included) and
  // pathological for a 1-channel plain x beside a channels-last dy (85 ms).
  auto kernel = std::make_unique<PrimitiveKernel>(conv_backward_desc<dnnl::convolution_backward_weights>(
      "convolution backward weights primitive", window, onednn::any_desc(x), onednn::any_desc(dy), bias));
  kernel->bind_input(DNNL_ARG_DIFF_DST, 0, onednn::stored_input(spec, 0));
  kernel->bind_input(DNNL_ARG_SRC, 1, onednn::stored_input(spec, 1));
  kernel->bind_output(DNNL_ARG_DIFF_WEIGHTS, 0, onednn::stored_desc(window.weights, spec.output_layout(0)));
  if (bias) kernel->bind_output(DNNL_ARG_DIFF_BIAS, 1, onednn::plain_desc({dy[1]}));
  return kernel;
}

/// The forward pooling, in training mode, from x (in layout `x`) to y of
/// dims `y` in the layout oneDNN picks, x's: its fast poolings need one
/// layout for all operands. A max pooling then also writes its workspace.
dnnl::pooling_forward::primitive_desc pool_forward(const onednn::PoolWindow& window, const memory::desc& x,
                                                   const Shape& y) {
  using Pool = dnnl::pooling_forward;
  return onednn::make_primitive_desc<Pool>("pooling primitive", [&] {
    return Pool::desc(dnnl::prop_kind::forward_training, window.algorithm, x, onednn::any_desc(y), window.strides,
                      window.kernel, window.pad_begin, window.pad_end);
  });
}

/// The pooling backward from dy to dx for `window`, given its forward, in
/// the forward's layout (operands stored otherwise are reordered).
dnnl::pooling_backward::primitive_desc pool_backward(const onednn::PoolWindow& window,
                                                     const dnnl::pooling_forward::primitive_desc& forward) {
  using Backward = dnnl::pooling_backward;
  return onednn::make_primitive_desc<Backward>(
      "pooling backward primitive",
      [&] {
        return Backward::desc(window.algorithm, forward.src_desc(), forward.dst_desc(), window.strides,
                              window.kernel, window.pad_begin, window.pad_end);
      },
      forward);
}

/// MaxPoolGrad(dy, x) -> dx: the forward max pooling of x, for its
/// workspace, then the backward.
std::unique_ptr<Kernel> make_max_pool_grad(const KernelSpec& spec) {
  if (spec.inputs.size() != 2) onednn::unavailable("expected dy and x");
  expect_types(spec, 2, spec.inputs[1]);
  const Shape& dy = spec.inputs[0].shape;
  const Shape& x = spec.inputs[1].shape;
  onednn::PoolWindow window = onednn::pool_window(spec, x, dy, true);
  auto forward = pool_forward(window, onednn::stored_input(spec, 1), dy);
  auto backward = pool_backward(window, forward);
  auto kernel = std::make_unique<PrimitiveKernel>(forward);
  kernel->bind_input(DNNL_ARG_SRC, 1, onednn::stored_input(spec, 1));
  kernel->bind_new_buffer(DNNL_ARG_DST);  // y: the backward needs only the workspace
  size_t workspace = kernel->bind_new_buffer(DNNL_ARG_WORKSPACE);
  kernel->then(backward);
  kernel->bind_input(DNNL_ARG_DIFF_DST, 0, onednn::stored_input(spec, 0));
  kernel->bind_buffer(DNNL_ARG_WORKSPACE, workspace);
  kernel->bind_output(DNNL_ARG_DIFF_SRC, 0, onednn::stored_output(spec, 0));
  return kernel;
}

/// AvgPoolGrad(dy) -> dx, of shape `input_shape`.
std::unique_ptr<Kernel> make_avg_pool_grad(const KernelSpec& spec) {
  expect_types(spec, 1, shape_attr(spec, "input_shape"));
  const Shape& dy = spec.inputs[0].shape;
  const Shape& dx = spec.outputs[0].shape;
  onednn::PoolWindow window = onednn::pool_window(spec, dx, dy, false);
  // The forward hint in dx's layout: the primitive writes dx as stored.
  auto forward = pool_forward(window, onednn::stored_output(spec, 0), dy);
  auto kernel = std::make_unique<PrimitiveKernel>(pool_backward(window, forward));
  kernel->bind_input(DNNL_ARG_DIFF_DST, 0, onednn::stored_input(spec, 0));
  kernel->bind_output(DNNL_ARG_DIFF_SRC, 0, onednn::stored_output(spec, 0));
  return kernel;
}

/// dx = dy · f'(x) over the elements (dy and x of one type), seen as one
/// flat vector; `algorithm` is f's (oneDNN's eltwise documentation).
KernelFactory eltwise_grad(dnnl::algorithm algorithm) {
  return [algorithm](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    if (spec.inputs.size() != 2 || spec.inputs[0] != spec.inputs[1]) onednn::unavailable("dy and x differ in type");
    expect_types(spec, 2, spec.inputs[1]);
    memory::desc data = onednn::plain_desc({num_elements(spec.inputs[0].shape)});
    using Forward = dnnl::eltwise_forward;
    using Backward = dnnl::eltwise_backward;
    auto forward = onednn::make_primitive_desc<Forward>(
        "eltwise primitive", [&] { return Forward::desc(dnnl::prop_kind::forward_training, algorithm, data); });
    auto pd = onednn::make_primitive_desc<Backward>(
        "eltwise backward primitive", [&] { return Backward::desc(algorithm, data, data); }, forward);
    auto kernel = std::make_unique<PrimitiveKernel>(pd);
    kernel->bind_input(DNNL_ARG_DIFF_DST, 0, data);
    kernel->bind_input(DNNL_ARG_SRC, 1, data);
    kernel->bind_output(DNNL_ARG_DIFF_SRC, 0, data);
    return kernel;
  };
}

std::unique_ptr<Kernel> make_gelu_grad(const KernelSpec& spec) {
  const std::string& approximate = spec.attrs.get_string("approximate");
  if (approximate == "none") return eltwise_grad(dnnl::algorithm::eltwise_gelu_erf)(spec);
  if (approximate == "tanh") return eltwise_grad(dnnl::algorithm::eltwise_gelu_tanh)(spec);
  onednn::unavailable(fmt::format("approximate = \"{}\"", approximate));
}

}  // namespace

void register_onednn_gradient_kernels(KernelRegistry& r) {
  // These read their operands' layouts (KernelSpec::input_layouts).
  r.add("Conv2DBackpropInput", make_conv_backprop_input, true);
  r.add("Conv2DBackpropFilter", make_conv_backprop_filter, true);
  r.add("MaxPoolGrad", make_max_pool_grad, true);
  r.add("AvgPoolGrad", make_avg_pool_grad, true);
  r.add("ReluGrad", eltwise_grad(dnnl::algorithm::eltwise_relu));
  r.add("GeluGrad", make_gelu_grad);
}

}  // namespace graphc
