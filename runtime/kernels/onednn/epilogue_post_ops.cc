// EpiloguePostOps (see epilogue_post_ops.h).
#include "runtime/kernels/onednn/epilogue_post_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "runtime/core/fusion_attrs.h"

namespace graphc::onednn {
namespace {

/// `addend` (broadcasting to `output`) as oneDNN reads it beside a
/// destination of `dst_dims`: right-aligned with 1s, and for a destination
/// that flattens the output's leading dims (Dense's [rows, M]), flattened
/// the same way when its leading dims are all 1 or all the output's.
Shape addend_dims(const Shape& addend, const Shape& output, const Shape& dst_dims) {
  Shape aligned(output.size() - addend.size(), 1);
  aligned.insert(aligned.end(), addend.begin(), addend.end());
  if (dst_dims.size() == output.size()) return aligned;
  if (dst_dims.size() != 2 || output.empty()) unavailable("the destination is not the output's shape or a matrix");
  bool leading_ones = std::all_of(aligned.begin(), aligned.end() - 1, [](int64_t d) { return d == 1; });
  bool leading_full = std::equal(aligned.begin(), aligned.end() - 1, output.begin());
  if (!leading_ones && !leading_full) unavailable(fmt::format("addend {} broadcasts over part of the rows", shape_to_string(addend)));
  return {leading_ones ? 1 : dst_dims[0], aligned.back()};
}

/// The open ends of a clip interval, as oneDNN's clip takes finite bounds.
constexpr float kFinite = std::numeric_limits<float>::max();

dnnl::algorithm activation_algorithm(const std::string& op, const std::string& gelu_approximate) {
  if (op == "Relu") return dnnl::algorithm::eltwise_relu;
  if (op == "Sigmoid") return dnnl::algorithm::eltwise_logistic;
  if (op == "Tanh") return dnnl::algorithm::eltwise_tanh;
  return gelu_approximate == "tanh" ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf;
}

}  // namespace

EpiloguePostOps::EpiloguePostOps(const KernelSpec& spec, const Shape& dst_dims, bool accumulate)
    : attr_(scratchpad_attr()) {
  Epilogue epilogue = epilogue_of(spec.attrs);
  anchor_inputs_ = spec.inputs.size() - epilogue.addends;
  dnnl::post_ops ops;
  size_t addend = anchor_inputs_, scalar = 0;
  // Consecutive clips compose into one interval, appended as one clip post-op.
  constexpr float kInf = std::numeric_limits<float>::infinity();
  float lo = -kInf, hi = kInf;
  auto flush_clip = [&] {
    if (lo == -kInf && hi == kInf) return;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, std::max(lo, -kFinite), std::min(hi, kFinite));
    lo = -kInf;
    hi = kInf;
  };
  for (const std::string& op : epilogue.ops) {
    if (op == "Maximum") {
      float a = epilogue.scalars[scalar++];
      lo = std::max(lo, a);
      hi = std::max(hi, a);
      continue;
    }
    if (op == "Minimum") {
      float b = epilogue.scalars[scalar++];
      lo = std::min(lo, b);
      hi = std::min(hi, b);
      continue;
    }
    flush_clip();
    if (op == "Add") {
      size_t input = addend++;
      Shape dims = addend_dims(spec.inputs[input].shape, spec.outputs[0].shape, dst_dims);
      Layout layout = spec.input_layout(input);
      if (layout != Layout::plain && dims != spec.inputs[input].shape) {
        unavailable("a channels-last addend the primitive would see with other dims");
      }
      dnnl::memory::desc stored = stored_desc(dims, layout);
      if (accumulate && !summed_ && dims == dst_dims) {
        ops.append_sum(1.0f);
        summed_.emplace(input, stored);
        continue;
      }
      ops.append_binary(dnnl::algorithm::binary_add, stored);
      addends_.emplace_back(DNNL_ARG_ATTR_MULTIPLE_POST_OP(ops.len() - 1) | DNNL_ARG_SRC_1, input, stored);
    } else {
      ops.append_eltwise(1.0f, activation_algorithm(op, epilogue.gelu_approximate), 0.0f, 0.0f);
    }
  }
  flush_clip();
  attr_.set_post_ops(ops);
}

void EpiloguePostOps::bind_addends(PrimitiveKernel& kernel) const {
  for (const auto& [arg, input, stored] : addends_) kernel.bind_input(arg, input, stored);
  if (summed_) kernel.bind_accumulator(summed_->first, summed_->second);
}

}  // namespace graphc::onednn
