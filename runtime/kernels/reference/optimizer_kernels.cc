// Reference kernels of the optimizer updates (compiler/ops/optimizer_ops.cc):
// SGDUpdate, MomentumUpdate and AdamUpdate with PyTorch 1.13 torch.optim
// semantics, in its float32 operation order. Every elementwise operation is
// rounded to f32 on its own (no fused multiply-add), as PyTorch's portable
// CPU kernels do; the per-step scalars (Adam's bias corrections and step
// size, AdamW's decay factor) are computed in double and rounded to f32
// once, as PyTorch computes them from Python floats.
//
// In place: the runtime may run these kernels with each output in the very
// buffer of the input it replaces (param_out = param, velocity_out =
// velocity, m_out = m, v_out = v). Each loop therefore reads all of element
// i's inputs into locals before it writes element i of any output, and never
// reads an element another iteration has written. That also makes the
// loops safe to vectorise and to split across the device's threads, which
// changes no element's arithmetic (the build targets no FMA, and nothing is
// reassociated), so results stay bit-identical to PyTorch's.
#include <fmt/format.h>

#include <cmath>

#include "graphc/error.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// Updates of fewer elements run on one thread.
constexpr int64_t kParallelElements = 1 << 15;

/// Checks an update's spec: inputs param (f32), grad and `state` state
/// inputs of param's type, a scalar f32 learning rate and, `with_step`, a
/// scalar i64 step; outputs param_out and one per state input, each of
/// param's type.
void expect_update_spec(const KernelSpec& spec, size_t state, bool with_step) {
  size_t learning_rate = 2 + state;
  size_t inputs = learning_rate + (with_step ? 2 : 1);
  expect_arity(spec, inputs, inputs, 1 + state);
  const TensorType& param = spec.inputs[0];
  for (size_t i = 0; i < learning_rate; ++i) {
    expect_input_dtype(spec, i, {DType::f32});
    expect_input_shape(spec, i, param.shape, "the shape of param");
  }
  expect_input_dtype(spec, learning_rate, {DType::f32});
  expect_input_shape(spec, learning_rate, {}, "a scalar learning_rate");
  if (with_step) {
    expect_input_dtype(spec, learning_rate + 1, {DType::i64});
    expect_input_shape(spec, learning_rate + 1, {}, "a scalar step");
  }
  for (size_t o = 0; o < 1 + state; ++o) expect_output_type(spec, o, param);
}

/// The float attribute `name`, which must be in [0, 1) (Adam's betas).
float unit_interval_attr(const KernelSpec& spec, const std::string& name) {
  float value = spec.attrs.get_float(name);
  if (!(value >= 0.0f && value < 1.0f)) {
    fail(spec, fmt::format("attribute '{}' must be in [0, 1), found {}", name, value));
  }
  return value;
}

/// The gradient with the L2 penalty: grad + weight_decay·param, skipped when
/// weight_decay is 0 (as PyTorch does, so an infinite param stays out of it).
inline float with_weight_decay(float grad, float param, float weight_decay) {
  return weight_decay != 0.0f ? grad + weight_decay * param : grad;
}

/// param_out = param − lr·(grad + weight_decay·param).
class SgdUpdateKernel final : public Kernel {
 public:
  explicit SgdUpdateKernel(const KernelSpec& spec) : weight_decay_(non_negative_float_attr(spec, "weight_decay")) {
    expect_update_spec(spec, 0, false);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* param = in[0]->data<float>();
    const float* grad = in[1]->data<float>();
    const float lr = *in[2]->data<float>();
    float* param_out = out[0]->data<float>();
    const int64_t n = in[0]->num_elements();
#pragma omp parallel for simd if (n >= kParallelElements)
    for (int64_t i = 0; i < n; ++i) {
      const float p = param[i];
      const float g = with_weight_decay(grad[i], p, weight_decay_);
      param_out[i] = p - lr * g;
    }
  }

 private:
  float weight_decay_;
};

/// torch.optim.SGD with momentum (dampening 0):
///   g = grad + wd·param; v' = momentum·v + g;
///   d = nesterov ? g + momentum·v' : v'; param' = param − lr·d.
class MomentumUpdateKernel final : public Kernel {
 public:
  explicit MomentumUpdateKernel(const KernelSpec& spec)
      : momentum_(non_negative_float_attr(spec, "momentum")),
        weight_decay_(non_negative_float_attr(spec, "weight_decay")),
        nesterov_(spec.attrs.get_bool("nesterov")) {
    expect_update_spec(spec, 1, false);
    if (nesterov_ && momentum_ == 0.0f) fail(spec, "nesterov needs momentum > 0, found 0");
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* param = in[0]->data<float>();
    const float* grad = in[1]->data<float>();
    const float* velocity = in[2]->data<float>();
    const float lr = *in[3]->data<float>();
    float* param_out = out[0]->data<float>();
    float* velocity_out = out[1]->data<float>();
    const int64_t n = in[0]->num_elements();
#pragma omp parallel for simd if (n >= kParallelElements)
    for (int64_t i = 0; i < n; ++i) {
      const float p = param[i];
      const float g = with_weight_decay(grad[i], p, weight_decay_);
      const float v = momentum_ * velocity[i] + g;
      const float d = nesterov_ ? g + momentum_ * v : v;
      param_out[i] = p - lr * d;
      velocity_out[i] = v;
    }
  }

 private:
  float momentum_;
  float weight_decay_;
  bool nesterov_;
};

/// torch.optim.Adam (L2 weight decay) and AdamW (decoupled), no amsgrad:
///   AdamW: param ← param·(1 − lr·wd); Adam: g ← grad + wd·param;
///   m' = β1·m + (1−β1)·g; v' = β2·v + (1−β2)·g·g;
///   param' = param − (lr/(1−β1^t))·m' / (√v' / √(1−β2^t) + ε).
class AdamUpdateKernel final : public Kernel {
 public:
  explicit AdamUpdateKernel(const KernelSpec& spec)
      : node_(spec.node()),
        op_(spec.op()),
        beta1_(unit_interval_attr(spec, "beta1")),
        beta2_(unit_interval_attr(spec, "beta2")),
        epsilon_(non_negative_float_attr(spec, "epsilon")),
        weight_decay_(non_negative_float_attr(spec, "weight_decay")),
        decoupled_(spec.attrs.get_bool("decoupled_weight_decay")) {
    expect_update_spec(spec, 2, true);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* param = in[0]->data<float>();
    const float* grad = in[1]->data<float>();
    const float* m = in[2]->data<float>();
    const float* v = in[3]->data<float>();
    const float lr = *in[4]->data<float>();
    const int64_t step = *in[5]->data<int64_t>();
    if (step < 1) {
      throw Error::at_node(node_, op_, fmt::format("step = {} must be >= 1 (the 1-based number of this update)", step));
    }
    // The per-step scalars, in double and rounded to f32 once (PyTorch's
    // Python-float arithmetic on the f32 attribute values).
    const double t = static_cast<double>(step);
    const double bias_correction1 = 1.0 - std::pow(static_cast<double>(beta1_), t);
    const double bias_correction2 = 1.0 - std::pow(static_cast<double>(beta2_), t);
    const auto step_size = static_cast<float>(static_cast<double>(lr) / bias_correction1);
    const auto bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
    const auto one_minus_beta1 = static_cast<float>(1.0 - static_cast<double>(beta1_));
    const auto one_minus_beta2 = static_cast<float>(1.0 - static_cast<double>(beta2_));
    const auto decay = static_cast<float>(1.0 - static_cast<double>(lr) * static_cast<double>(weight_decay_));
    const float l2 = decoupled_ ? 0.0f : weight_decay_;

    float* param_out = out[0]->data<float>();
    float* m_out = out[1]->data<float>();
    float* v_out = out[2]->data<float>();
    const int64_t n = in[0]->num_elements();
#pragma omp parallel for simd if (n >= kParallelElements)
    for (int64_t i = 0; i < n; ++i) {
      const float p = decoupled_ ? param[i] * decay : param[i];
      const float g = with_weight_decay(grad[i], p, l2);
      const float m1 = beta1_ * m[i] + one_minus_beta1 * g;
      const float v1 = beta2_ * v[i] + one_minus_beta2 * g * g;
      const float denom = std::sqrt(v1) / bias_correction2_sqrt + epsilon_;
      param_out[i] = p - step_size * m1 / denom;
      m_out[i] = m1;
      v_out[i] = v1;
    }
  }

 private:
  std::string node_, op_;
  float beta1_;
  float beta2_;
  float epsilon_;
  float weight_decay_;
  bool decoupled_;
};

template <class K>
std::unique_ptr<Kernel> make(const KernelSpec& spec) {
  return std::make_unique<K>(spec);
}

}  // namespace

void register_reference_optimizer_kernels(KernelRegistry& r) {
  r.add("SGDUpdate", make<SgdUpdateKernel>);
  r.add("MomentumUpdate", make<MomentumUpdateKernel>);
  r.add("AdamUpdate", make<AdamUpdateKernel>);
}

}  // namespace graphc
