// make_fused_elementwise_kernel (see fused_elementwise_kernel.h).
#include "runtime/kernels/jit/fused_elementwise_kernel.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "graphc/error.h"
#include "runtime/core/fusion_attrs.h"

namespace graphc {
namespace {

/// Below this many elements one thread does the whole step.
constexpr int64_t kElementsPerThread = 1 << 15;

/// A LabelMask of the body: its labels (the node's input) and the node a
/// bad label is reported at (the loss it was expanded from).
struct LabelCheck {
  size_t input = 0;
  std::string node, op;
};

/// The body's LabelMasks, in body order.
std::vector<LabelCheck> label_checks(const KernelSpec& spec) {
  proto::GraphDef body = fused_body(spec.attrs);
  std::map<std::string, size_t> input_of;  // Placeholder -> the node's input
  std::vector<LabelCheck> checks;
  for (const auto& def : body.node()) {
    if (def.op() == "Placeholder") input_of.emplace(def.name(), input_of.size());
    if (!is_label_mask_op(def.op()) || def.input_size() != 2 || !input_of.count(def.input(1))) continue;
    LabelCheck check{input_of.at(def.input(1)), def.name(), def.op()};
    auto node = def.attr().find("loss_node");
    if (node != def.attr().end() && !node->second.s().empty()) {
      check.node = node->second.s();
      check.op = def.attr().at("loss_op").s();
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

class FusedElementwiseKernel final : public Kernel {
 public:
  FusedElementwiseKernel(FusedElementwiseFn fn, int64_t rows, int64_t cols, bool row_wise,
                         std::vector<LabelCheck> labels)
      : fn_(fn), rows_(rows), cols_(cols), row_wise_(row_wise), labels_(std::move(labels)) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override {
    constexpr size_t kMaxOperands = 64;
    const void* in[kMaxOperands];
    float* out[kMaxOperands];
    for (size_t i = 0; i < inputs.size(); ++i) in[i] = inputs[i]->raw_data();
    for (size_t i = 0; i < outputs.size(); ++i) out[i] = outputs[i]->data<float>();
    int64_t elements = rows_ * cols_;
    if (elements == 0) return;
    int64_t most = row_wise_ ? rows_ : elements;  // a row-wise kernel computes whole rows
    int threads = static_cast<int>(std::min({int64_t{omp_get_max_threads()}, elements / kElementsPerThread, most}));
    if (threads <= 1) {
      report_bad_label(inputs, fn_(in, out, 0, rows_, 0, cols_));
      return;
    }
    bool split_rows = rows_ >= threads;
    std::atomic<int64_t> first_bad{-1};  // the smallest bad row any thread met: the same for any split
#pragma omp parallel num_threads(threads)
    {
      int64_t parts = omp_get_num_threads(), t = omp_get_thread_num();
      int64_t extent = split_rows ? rows_ : cols_;
      int64_t begin = extent * t / parts, end = extent * (t + 1) / parts;
      int64_t bad = -1;
      if (begin < end) bad = split_rows ? fn_(in, out, begin, end, 0, cols_) : fn_(in, out, 0, rows_, begin, end);
      int64_t seen = first_bad.load();
      while (bad >= 0 && (seen < 0 || bad < seen) && !first_bad.compare_exchange_weak(seen, bad)) {
      }
    }
    report_bad_label(inputs, first_bad.load());
  }

 private:
  /// Throws the reference kernel's error for row `row`'s bad label, naming
  /// the loss node; nothing when `row` is -1 (every label in range).
  void report_bad_label(std::span<const Tensor* const> inputs, int64_t row) const {
    if (row < 0) return;
    for (const LabelCheck& check : labels_) {
      const Tensor& labels = *inputs[check.input];
      int64_t label = labels.dtype() == DType::i32 ? labels.data<int32_t>()[row] : labels.data<int64_t>()[row];
      if (label >= 0 && label < cols_) continue;
      throw Error::at_node(check.node, check.op,
                           fmt::format("label {} of example {} is out of range [0, {})", label, row, cols_));
    }
    throw Error("generated kernel", fmt::format("internal error: row {} reported a bad label, none is", row));
  }

  FusedElementwiseFn fn_;
  int64_t rows_;
  int64_t cols_;
  bool row_wise_;
  std::vector<LabelCheck> labels_;
};

}  // namespace

std::unique_ptr<Kernel> make_fused_elementwise_kernel(const KernelSpec& spec, const JitLibrary& library) {
  if (!spec.attrs.has("jit_symbol")) throw KernelUnavailable("the step has no generated function");
  FusedElementwiseFn fn = library.fused_elementwise(spec.attrs.get_string("jit_symbol"));
  if (fn == nullptr) throw KernelUnavailable("the module's generated code lacks " + spec.attrs.get_string("jit_symbol"));
  if (spec.inputs.size() > 64 || spec.outputs.size() > 64) throw KernelUnavailable("more than 64 operands");
  int64_t rows = spec.attrs.get_int("jit_rows"), cols = spec.attrs.get_int("jit_cols");
  if (rows * cols != num_elements(spec.attrs.get_shape("shape"))) {
    throw KernelUnavailable("the generated loop does not cover the iteration shape");
  }
  bool row_wise = spec.attrs.has("jit_row_wise") && spec.attrs.get_bool("jit_row_wise");
  return std::make_unique<FusedElementwiseKernel>(fn, rows, cols, row_wise, label_checks(spec));
}

}  // namespace graphc
