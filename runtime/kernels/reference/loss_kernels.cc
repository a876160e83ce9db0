// Reference kernels of the losses and their backward ops: sums in double,
// the mean rounded to f32 once. And LabelMask, the one-hot of the labels.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "graphc/error.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// Logits [N, C] (input `first`) with labels [N] (the next input): the rows'
/// log-sum-exp and checked labels. A bad label's error names the node of
/// `spec`, or for a LabelMask the loss it was expanded from.
template <class Label>
class LogitRows {
 public:
  LogitRows(const KernelSpec& spec, size_t first) : node_(spec.node()), op_(spec.op()), first_(first) {
    if (spec.attrs.has("loss_node") && !spec.attrs.get_string("loss_node").empty()) {
      node_ = spec.attrs.get_string("loss_node");
      op_ = spec.attrs.get_string("loss_op");
    }
    const TensorType& logits = spec.inputs[first];
    if (logits.shape.size() != 2) fail(spec, fmt::format("logits must be [N, C], found {}", logits.to_string()));
    rows_ = logits.shape[0];
    classes_ = logits.shape[1];
    expect_input_shape(spec, first + 1, {rows_}, fmt::format("[N] for labels, N = {} from logits", rows_));
  }

  int64_t rows() const { return rows_; }
  int64_t classes() const { return classes_; }
  const float* row(std::span<const Tensor* const> in, int64_t n) const {
    return in[first_]->data<float>() + n * classes_;
  }

  /// The label of row n; out of [0, C) is an error naming the node.
  int64_t label(std::span<const Tensor* const> in, int64_t n) const {
    Label label = in[first_ + 1]->data<Label>()[n];
    if (label < 0 || label >= classes_) {
      throw Error::at_node(node_, op_, fmt::format("label {} of example {} is out of range [0, {})", label, n, classes_));
    }
    return static_cast<int64_t>(label);
  }

  /// log Σ e^x over a row, max-subtracted.
  double log_sum_exp(const float* x) const {
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < classes_; ++c) max = std::max(max, x[c]);
    double sum = 0.0;
    for (int64_t c = 0; c < classes_; ++c) sum += std::exp(static_cast<double>(x[c] - max));
    return max + std::log(sum);
  }

 private:
  std::string node_, op_;
  size_t first_;
  int64_t rows_ = 0, classes_ = 0;
};

/// loss = mean over rows of log Σ e^x − x[label].
template <class Label>
class SoftmaxCrossEntropyKernel final : public Kernel {
 public:
  explicit SoftmaxCrossEntropyKernel(const KernelSpec& spec) : rows_(spec, 0) {
    expect_output_type(spec, 0, {DType::f32, {}});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    double total = 0.0;
    for (int64_t n = 0; n < rows_.rows(); ++n) {
      const float* x = rows_.row(in, n);
      total += rows_.log_sum_exp(x) - x[rows_.label(in, n)];
    }
    *out[0]->data<float>() = static_cast<float>(total / static_cast<double>(rows_.rows()));
  }

 private:
  LogitRows<Label> rows_;
};

/// dlogits = dloss · (softmax(x) − onehot(label)) / N.
template <class Label>
class SoftmaxCrossEntropyGradKernel final : public Kernel {
 public:
  explicit SoftmaxCrossEntropyGradKernel(const KernelSpec& spec) : rows_(spec, 1) {
    expect_input_shape(spec, 0, {}, "a scalar dloss");
    expect_output_type(spec, 0, spec.inputs[1]);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    double scale = *in[0]->data<float>() / static_cast<double>(rows_.rows());
    for (int64_t n = 0; n < rows_.rows(); ++n) {
      const float* x = rows_.row(in, n);
      float* dx = out[0]->data<float>() + n * rows_.classes();
      double lse = rows_.log_sum_exp(x);
      for (int64_t c = 0; c < rows_.classes(); ++c) dx[c] = static_cast<float>(std::exp(x[c] - lse) * scale);
      dx[rows_.label(in, n)] -= static_cast<float>(scale);
    }
  }

 private:
  LogitRows<Label> rows_;
};

/// mask = 1 where the column is the row's label, else 0.
template <class Label>
class LabelMaskKernel final : public Kernel {
 public:
  explicit LabelMaskKernel(const KernelSpec& spec) : rows_(spec, 0) { expect_output_type(spec, 0, spec.inputs[0]); }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    float* mask = out[0]->data<float>();
    std::fill_n(mask, rows_.rows() * rows_.classes(), 0.0f);
    for (int64_t n = 0; n < rows_.rows(); ++n) mask[n * rows_.classes() + rows_.label(in, n)] = 1.0f;
  }

 private:
  LogitRows<Label> rows_;
};

/// A loss factory: input `labels` is i32 or i64, the others f32.
template <template <class> class K>
KernelFactory with_labels(size_t inputs, size_t labels) {
  return [=](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_arity(spec, inputs, inputs, 1);
    for (size_t i = 0; i < inputs; ++i) {
      if (i != labels) expect_input_dtype(spec, i, {DType::f32});
    }
    expect_input_dtype(spec, labels, {DType::i32, DType::i64});
    if (spec.inputs[labels].dtype == DType::i32) return std::make_unique<K<int32_t>>(spec);
    return std::make_unique<K<int64_t>>(spec);
  };
}

std::unique_ptr<Kernel> make_mean_squared_error(const KernelSpec& spec) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 0, {DType::f32});
  expect_input_dtype(spec, 1, {DType::f32});
  expect_input_shape(spec, 1, spec.inputs[0].shape, "the shape of prediction");
  expect_output_type(spec, 0, {DType::f32, {}});
  return make_kernel([](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const float* p = in[0]->data<float>();
    const float* t = in[1]->data<float>();
    int64_t n = in[0]->num_elements();
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += (static_cast<double>(p[i]) - t[i]) * (static_cast<double>(p[i]) - t[i]);
    *out[0]->data<float>() = static_cast<float>(sum / static_cast<double>(n));
  });
}

}  // namespace

void register_reference_loss_kernels(KernelRegistry& r) {
  r.add("SoftmaxCrossEntropy", with_labels<SoftmaxCrossEntropyKernel>(2, 1));
  r.add("SoftmaxCrossEntropyGrad", with_labels<SoftmaxCrossEntropyGradKernel>(3, 2));
  r.add("LabelMask", with_labels<LabelMaskKernel>(2, 1));
  r.add("MeanSquaredError", make_mean_squared_error);
}

}  // namespace graphc
