// Optimizer updates: the ops a training graph uses to update its Variables
// (SGDUpdate, MomentumUpdate, AdamUpdate), with PyTorch 1.13 torch.optim
// semantics. They are not differentiable. Each output has the type of the
// input it replaces and is declared in place of it (OpSchema::in_place), so
// the runtime may run them in place: param_out in param's buffer, the
// optimizer state outputs in their inputs' buffers. Their kernels read each
// element of every input before writing that element of any output.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

// Input positions shared by the three ops.
constexpr size_t kParam = 0;
constexpr size_t kGrad = 1;

/// Checks input i (called `name`) has exactly param's type.
void expect_like_param(const InferContext& ctx, size_t i, const char* name) {
  const TensorType& param = ctx.input(kParam);
  expect_same_dtype(ctx, i, kParam);
  expect_shape(ctx, i, name, param.shape, fmt::format("the shape of param {}", param.to_string()));
}

/// Checks input i (called `name`) is a scalar of dtype `dtype`.
void expect_scalar(const InferContext& ctx, size_t i, const char* name, DType dtype) {
  ctx.expect_dtype(i, {dtype});
  expect_shape(ctx, i, name, {}, "a scalar []");
}

/// Checks param and grad, the learning rate at input `learning_rate` and the
/// state inputs between them (those named in `state`, from input 2 on).
void expect_update_inputs(const InferContext& ctx, std::initializer_list<const char*> state, size_t learning_rate) {
  ctx.expect_dtype(kParam, {DType::f32});
  expect_like_param(ctx, kGrad, "grad");
  size_t i = 2;
  for (const char* name : state) expect_like_param(ctx, i++, name);
  expect_scalar(ctx, learning_rate, "learning_rate", DType::f32);
}

/// The float attribute `attr`, which must be >= 0 (NaN fails).
float non_negative(const InferContext& ctx, const char* attr) {
  float value = ctx.attrs().get_float(attr);
  if (!(value >= 0)) ctx.fail(fmt::format("attribute '{}' = {} must be >= 0", attr, value));
  return value;
}

/// The float attribute `attr`, which must be in [0, 1) (Adam's betas).
void unit_interval(const InferContext& ctx, const char* attr) {
  float value = ctx.attrs().get_float(attr);
  if (!(value >= 0 && value < 1)) ctx.fail(fmt::format("attribute '{}' = {} must be in [0, 1)", attr, value));
}

std::vector<TensorType> infer_sgd_update(const InferContext& ctx) {
  expect_update_inputs(ctx, {}, 2);
  non_negative(ctx, "weight_decay");
  return {ctx.input(kParam)};
}

std::vector<TensorType> infer_momentum_update(const InferContext& ctx) {
  expect_update_inputs(ctx, {"velocity"}, 3);
  non_negative(ctx, "weight_decay");
  float momentum = non_negative(ctx, "momentum");
  if (ctx.attrs().get_bool("nesterov") && momentum == 0) {
    ctx.fail("attribute 'nesterov' = true needs 'momentum' > 0, found 0");
  }
  return {ctx.input(kParam), ctx.input(kParam)};
}

std::vector<TensorType> infer_adam_update(const InferContext& ctx) {
  expect_update_inputs(ctx, {"m", "v"}, 4);
  expect_scalar(ctx, 5, "step", DType::i64);
  unit_interval(ctx, "beta1");
  unit_interval(ctx, "beta2");
  non_negative(ctx, "epsilon");
  non_negative(ctx, "weight_decay");
  return {ctx.input(kParam), ctx.input(kParam), ctx.input(kParam)};
}

}  // namespace

void register_optimizer_ops(OpRegistry& r) {
  r.add(OpBuilder("SGDUpdate")
            .doc("Plain SGD (torch.optim.SGD without momentum): g = grad + weight_decay·param; "
                 "param_out = param - learning_rate·g. May run in place (param_out in param's buffer).")
            .input("param")
            .input("grad")
            .input("learning_rate")
            .output("param_out")
            .attr("weight_decay", AttrType::float_, attr_float(0.0f), "L2 penalty added to the gradient, >= 0")
            .infer(infer_sgd_update)
            .in_place(0, 0));

  r.add(OpBuilder("MomentumUpdate")
            .doc("SGD with momentum (torch.optim.SGD, dampening 0): g = grad + weight_decay·param; "
                 "velocity_out = momentum·velocity + g; d = nesterov ? g + momentum·velocity_out : velocity_out; "
                 "param_out = param - learning_rate·d. A zero velocity gives PyTorch's first step. "
                 "May run in place (param_out in param's buffer, velocity_out in velocity's).")
            .input("param")
            .input("grad")
            .input("velocity")
            .input("learning_rate")
            .output("param_out")
            .output("velocity_out")
            .attr("momentum", AttrType::float_, attr_float(0.9f), "weight of the previous velocity, >= 0")
            .attr("nesterov", AttrType::bool_, attr_bool(false), "Nesterov momentum (needs momentum > 0)")
            .attr("weight_decay", AttrType::float_, attr_float(0.0f), "L2 penalty added to the gradient, >= 0")
            .infer(infer_momentum_update)
            .in_place(0, 0)
            .in_place(1, 2));

  r.add(OpBuilder("AdamUpdate")
            .doc("Adam, or AdamW with decoupled_weight_decay (torch.optim.Adam/AdamW, no amsgrad). step t >= 1 is "
                 "the 1-based number of this update (t < 1 is a run-time error). "
                 "m_out = beta1·m + (1-beta1)·g; v_out = beta2·v + (1-beta2)·g²; "
                 "param_out = param - lr/(1-beta1^t) · m_out / (sqrt(v_out)/sqrt(1-beta2^t) + epsilon). "
                 "May run in place (each output in the buffer of the input it replaces).")
            .input("param")
            .input("grad")
            .input("m")
            .input("v")
            .input("learning_rate")
            .input("step")
            .output("param_out")
            .output("m_out")
            .output("v_out")
            .attr("beta1", AttrType::float_, attr_float(0.9f), "decay of the first moment, in [0, 1)")
            .attr("beta2", AttrType::float_, attr_float(0.999f), "decay of the second moment, in [0, 1)")
            .attr("epsilon", AttrType::float_, attr_float(1e-8f), "added to the denominator, >= 0")
            .attr("weight_decay", AttrType::float_, attr_float(0.0f), "L2 penalty (or decoupled decay), >= 0")
            .attr("decoupled_weight_decay", AttrType::bool_, attr_bool(false),
                  "AdamW: param·(1 - lr·weight_decay) first instead of adding weight_decay·param to the gradient")
            .infer(infer_adam_update)
            .in_place(0, 0)
            .in_place(1, 2)
            .in_place(2, 3));
}

}  // namespace graphc::ops
