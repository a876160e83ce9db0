// oneDNN kernels of MatMul and Dense, both on the matmul primitive.
//
// A transpose is a swap of the last two strides, never a copy; batch dims
// are right-aligned with 1s prepended, and oneDNN broadcasts the 1s. Dense
// sees x [..., K] as rows [R, K] and its bias as a [1, M] row. Weights that
// are module constants are described as `format_tag::any`, so oneDNN may
// choose a faster layout; they are then reordered once, at load.
#include <fmt/format.h>

#include <utility>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/onednn/epilogue_post_ops.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc {
namespace {

using onednn::PrimitiveKernel;

/// A matrix operand as the matmul primitive sees it: `rank` dims ending in
/// [rows, cols], for a tensor stored C-order as `stored`, read transposed or not.
dnnl::memory::desc matrix_desc(Shape stored, bool transposed, size_t rank) {
  Shape strides = strides_of(stored);
  size_t n = stored.size();
  if (transposed) {
    std::swap(stored[n - 1], stored[n - 2]);
    std::swap(strides[n - 1], strides[n - 2]);
  }
  int64_t size = num_elements(stored);
  while (stored.size() < rank) {
    stored.insert(stored.begin(), 1);
    strides.insert(strides.begin(), size);
  }
  return onednn::strided_desc(stored, strides);
}

/// Builds the kernel once the operands are described. `weights_stored` is
/// how the weights tensor is laid out; when it is a constant, the primitive
/// is offered any layout for it.
std::unique_ptr<Kernel> make_matmul_kernel(const KernelSpec& spec, const onednn::EpiloguePostOps& epilogue,
                                           const dnnl::memory::desc& src, const dnnl::memory::desc& weights_stored,
                                           const dnnl::memory::desc* bias, const dnnl::memory::desc& dst) {
  const Tensor* constant_weights = onednn::constant_input(spec, 1);
  dnnl::memory::desc weights =
      constant_weights != nullptr ? onednn::any_desc(weights_stored.dims()) : weights_stored;
  auto pd = onednn::make_primitive_desc_with<dnnl::matmul>("matmul primitive", epilogue.attr(), [&] {
    return bias != nullptr ? dnnl::matmul::desc(src, weights, *bias, dst) : dnnl::matmul::desc(src, weights, dst);
  });
  auto kernel = std::make_unique<PrimitiveKernel>(pd);
  kernel->bind_input(DNNL_ARG_SRC, 0, src);
  kernel->bind_input(DNNL_ARG_WEIGHTS, 1, weights_stored, constant_weights);
  if (bias != nullptr) kernel->bind_input(DNNL_ARG_BIAS, 2, *bias);
  epilogue.bind_addends(*kernel);
  kernel->bind_output(DNNL_ARG_DST, 0, dst);
  return kernel;
}

/// MatMul, and FusedMatMul with its epilogue as post-ops.
std::unique_ptr<Kernel> make_matmul(const KernelSpec& spec) {
  onednn::expect_f32_nonempty(spec);
  if (spec.inputs.size() < 2 || spec.outputs.size() != 1) onednn::unavailable("expected two inputs and one output");
  const Shape& a = spec.inputs[0].shape;
  const Shape& b = spec.inputs[1].shape;
  if (a.empty() || b.empty()) onednn::unavailable("scalar operand");
  bool transpose_a = spec.attrs.get_bool("transpose_a");
  bool transpose_b = spec.attrs.get_bool("transpose_b");
  MatMulDims dims = matmul_dims(a, b, transpose_a, transpose_b);
  auto out = matmul_output_shape(dims);
  if (!out || *out != spec.outputs[0].shape) onednn::unavailable("the output is not the operands' product");
  Shape batch = *broadcast_shapes(dims.a_batch, dims.b_batch);
  size_t rank = batch.size() + 2;
  // A 1-D a is the row [1, K]; a 1-D b is the column [K, 1].
  dnnl::memory::desc src = matrix_desc(dims.a_is_vector ? Shape{1, a[0]} : a, transpose_a && !dims.a_is_vector, rank);
  dnnl::memory::desc weights =
      matrix_desc(dims.b_is_vector ? Shape{b[0], 1} : b, transpose_b && !dims.b_is_vector, rank);
  Shape dst = batch;
  dst.push_back(dims.m);
  dst.push_back(dims.n);
  onednn::EpiloguePostOps epilogue(spec, dst);
  if (epilogue.anchor_inputs() != 2) onednn::unavailable("expected a, b before the epilogue's addends");
  return make_matmul_kernel(spec, epilogue, src, weights, nullptr, onednn::plain_desc(dst));
}

/// Dense, and FusedDense with its epilogue as post-ops.
std::unique_ptr<Kernel> make_dense(const KernelSpec& spec) {
  onednn::expect_f32_nonempty(spec);
  if (spec.inputs.size() < 2 || spec.outputs.size() != 1) onednn::unavailable("expected x, w[, b] and one output");
  const Shape& x = spec.inputs[0].shape;
  const Shape& w = spec.inputs[1].shape;
  bool transpose_w = spec.attrs.get_bool("transpose_w");
  if (x.empty() || w.size() != 2) onednn::unavailable("x must have rank >= 1 and w rank 2");
  int64_t k = x.back();
  int64_t m = transpose_w ? w[0] : w[1];
  Shape out = x;
  out.back() = m;
  if ((transpose_w ? w[1] : w[0]) != k || out != spec.outputs[0].shape) {
    onednn::unavailable("w or the output does not match x");
  }
  int64_t rows = num_elements(x) / k;
  onednn::EpiloguePostOps epilogue(spec, {rows, m});
  bool has_bias = epilogue.anchor_inputs() == 3;
  if (epilogue.anchor_inputs() > 3) onednn::unavailable("expected x, w[, b] before the epilogue's addends");
  dnnl::memory::desc bias = onednn::plain_desc({1, m});
  if (has_bias && spec.inputs[2].shape != Shape{m}) onednn::unavailable("the bias is not [M]");
  return make_matmul_kernel(spec, epilogue, onednn::plain_desc({rows, k}), matrix_desc(w, transpose_w, 2),
                            has_bias ? &bias : nullptr, onednn::plain_desc({rows, m}));
}

}  // namespace

void register_onednn_linalg_kernels(KernelRegistry& r) {
  r.add("MatMul", make_matmul);
  r.add("Dense", make_dense);
  r.add("FusedMatMul", make_matmul);
  r.add("FusedDense", make_dense);
}

}  // namespace graphc
