// make_fused_elementwise_kernel (see fused_elementwise_kernel.h).
#include "runtime/kernels/jit/fused_elementwise_kernel.h"

#include <omp.h>

#include <algorithm>
#include <vector>

namespace graphc {
namespace {

/// Below this many elements one thread does the whole step.
constexpr int64_t kElementsPerThread = 1 << 15;

class FusedElementwiseKernel final : public Kernel {
 public:
  FusedElementwiseKernel(FusedElementwiseFn fn, int64_t rows, int64_t cols, bool row_wise)
      : fn_(fn), rows_(rows), cols_(cols), row_wise_(row_wise) {}

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override {
    constexpr size_t kMaxOperands = 64;
    const float* in[kMaxOperands];
    float* out[kMaxOperands];
    for (size_t i = 0; i < inputs.size(); ++i) in[i] = inputs[i]->data<float>();
    for (size_t i = 0; i < outputs.size(); ++i) out[i] = outputs[i]->data<float>();
    int64_t elements = rows_ * cols_;
    if (elements == 0) return;
    int64_t most = row_wise_ ? rows_ : elements;  // a row-wise kernel computes whole rows
    int threads = static_cast<int>(std::min({int64_t{omp_get_max_threads()}, elements / kElementsPerThread, most}));
    if (threads <= 1) {
      fn_(in, out, 0, rows_, 0, cols_);
      return;
    }
    bool split_rows = rows_ >= threads;
#pragma omp parallel num_threads(threads)
    {
      int64_t parts = omp_get_num_threads(), t = omp_get_thread_num();
      int64_t extent = split_rows ? rows_ : cols_;
      int64_t begin = extent * t / parts, end = extent * (t + 1) / parts;
      if (begin < end) {
        if (split_rows) {
          fn_(in, out, begin, end, 0, cols_);
        } else {
          fn_(in, out, 0, rows_, begin, end);
        }
      }
    }
  }

 private:
  FusedElementwiseFn fn_;
  int64_t rows_;
  int64_t cols_;
  bool row_wise_;
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
  return std::make_unique<FusedElementwiseKernel>(fn, rows, cols, row_wise);
}

}  // namespace graphc
