// Reference kernels of the linear algebra ops: MatMul (NumPy matmul with
// batch broadcasting and transposes) and Dense.
//
// Both reduce to one plain triple loop over matrices read through strides, so
// a transpose is a swap of strides and never a copy. Dot products accumulate
// in float, in order k = 0, 1, ...: the reference accuracy for f32 matmul
// that optimised kernels (which also accumulate in f32) are compared with
// under a tolerance.
#include <fmt/format.h>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// Where element (row, col) of a matrix is: row * row_stride + col * col_stride.
struct MatrixLayout {
  int64_t row_stride = 0;
  int64_t col_stride = 0;
};

/// The layout of a stored row-major [rows, cols] matrix, read transposed or not.
MatrixLayout row_major(int64_t cols, bool transposed) {
  return transposed ? MatrixLayout{1, cols} : MatrixLayout{cols, 1};
}

/// c[m×n] (row-major, contiguous) = a[m×k] · b[k×n].
void multiply(const float* a, MatrixLayout la, const float* b, MatrixLayout lb, float* c, int64_t m, int64_t n,
              int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p)
        sum += a[i * la.row_stride + p * la.col_stride] * b[p * lb.row_stride + j * lb.col_stride];
      c[i * n + j] = sum;
    }
  }
}

/// MatMul as a batch of matrix products: batch i multiplies the matrices of
/// a and b at a_offsets[i] and b_offsets[i] (broadcast batch dims repeat).
class MatMulKernel final : public Kernel {
 public:
  explicit MatMulKernel(const KernelSpec& spec) {
    const Shape& a = spec.inputs[0].shape;
    const Shape& b = spec.inputs[1].shape;
    if (a.empty() || b.empty()) {
      fail(spec, fmt::format("operands must have rank >= 1, found {} and {}", spec.inputs[0].to_string(),
                             spec.inputs[1].to_string()));
    }
    bool transpose_a = spec.attrs.get_bool("transpose_a");
    bool transpose_b = spec.attrs.get_bool("transpose_b");
    MatMulDims dims = matmul_dims(a, b, transpose_a, transpose_b);
    auto out = matmul_output_shape(dims);
    if (!out) {
      fail(spec, fmt::format("cannot multiply {} by {} (transpose_a={}, transpose_b={})", spec.inputs[0].to_string(),
                             spec.inputs[1].to_string(), transpose_a, transpose_b));
    }
    expect_output_type(spec, 0, {DType::f32, *out});

    m_ = dims.m;
    n_ = dims.n;
    k_ = dims.k_a;
    // A 1-D operand is one row (a) or one column (b) of stride 1.
    a_layout_ = dims.a_is_vector ? MatrixLayout{0, 1} : row_major(a.back(), transpose_a);
    b_layout_ = dims.b_is_vector ? MatrixLayout{1, 0} : row_major(b.back(), transpose_b);
    Shape batch = *broadcast_shapes(dims.a_batch, dims.b_batch);
    a_offsets_ = broadcast_offsets(dims.a_batch, batch);
    b_offsets_ = broadcast_offsets(dims.b_batch, batch);
    for (int64_t& o : a_offsets_) o *= m_ * k_;
    for (int64_t& o : b_offsets_) o *= k_ * n_;
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* a = in[0]->data<float>();
    const float* b = in[1]->data<float>();
    float* c = out[0]->data<float>();
    for (size_t i = 0; i < a_offsets_.size(); ++i) {
      multiply(a + a_offsets_[i], a_layout_, b + b_offsets_[i], b_layout_, c + static_cast<int64_t>(i) * m_ * n_, m_,
               n_, k_);
    }
  }

 private:
  int64_t m_ = 0, n_ = 0, k_ = 0;
  MatrixLayout a_layout_, b_layout_;
  std::vector<int64_t> a_offsets_, b_offsets_;
};

/// Dense: x [..., K] seen as rows [R, K], times w, plus the bias row.
class DenseKernel final : public Kernel {
 public:
  explicit DenseKernel(const KernelSpec& spec) {
    const Shape& x = spec.inputs[0].shape;
    const Shape& w = spec.inputs[1].shape;
    bool transpose_w = spec.attrs.get_bool("transpose_w");
    expect_min_rank(spec, 0, 1);
    if (w.size() != 2) fail(spec, fmt::format("w must have rank 2, found {}", spec.inputs[1].to_string()));
    k_ = x.back();
    m_ = transpose_w ? w[0] : w[1];
    if ((transpose_w ? w[1] : w[0]) != k_) {
      fail(spec, fmt::format("w {} does not match x {} (transpose_w={})", spec.inputs[1].to_string(),
                             spec.inputs[0].to_string(), transpose_w));
    }
    if (spec.inputs.size() == 3) expect_input_shape(spec, 2, {m_}, "[M] for the bias");
    Shape out = x;
    out.back() = m_;
    expect_output_type(spec, 0, {DType::f32, out});
    rows_ = num_elements(Shape(x.begin(), x.end() - 1));
    w_layout_ = row_major(w[1], transpose_w);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    float* y = out[0]->data<float>();
    multiply(in[0]->data<float>(), {k_, 1}, in[1]->data<float>(), w_layout_, y, rows_, m_, k_);
    if (in.size() < 3) return;
    const float* bias = in[2]->data<float>();
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t j = 0; j < m_; ++j) y[r * m_ + j] += bias[j];
    }
  }

 private:
  int64_t rows_ = 0, k_ = 0, m_ = 0;
  MatrixLayout w_layout_;
};

}  // namespace

void register_reference_linalg_kernels(KernelRegistry& r) {
  r.add("MatMul", float_op<MatMulKernel>(2, 2));
  r.add("Dense", float_op<DenseKernel>(2, 3));
}

}  // namespace graphc
