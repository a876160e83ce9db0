// Recurrent ops with ONNX semantics: LSTM and GRU (one layer, forward,
// reverse or bidirectional, layout 0 or 1, optional sequence lengths and
// initial states, LSTM peepholes), and their backward ops LSTMGrad and
// GRUGrad (backpropagation through time, recomputing the forward gates from
// the inputs, so the forward op keeps nothing for them).
//
// The geometry (which input is which, every shape) lives in
// runtime/core/rnn_shapes, shared with the kernels. Only the default
// activations are supported; anything else is an error naming the node and
// the attribute.
#include <fmt/format.h>

#include "compiler/ops/cost_model.h"
#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/rnn_shapes.h"

namespace graphc::ops {
namespace {

/// The geometry of a forward op's inputs, `first` being this node's input X;
/// fails naming the node. Checks dtypes and the attributes too.
RnnGeometry checked_geometry(const InferContext& ctx, RnnCell cell, size_t first) {
  std::vector<Shape> shapes;
  for (size_t i = first; i < ctx.num_inputs(); ++i) {
    size_t index = i - first;
    if (index == kRnnSequenceLens) {
      ctx.expect_dtype(i, {DType::i32, DType::i64});
    } else {
      ctx.expect_dtype(i, {DType::f32});
    }
    shapes.push_back(ctx.input(i).shape);
  }
  RnnGeometryResult result = rnn_geometry(cell, shapes, ctx.attrs().get_string("direction"),
                                          ctx.attrs().get_int("hidden_size"), ctx.attrs().get_int("layout"));
  if (!result.error.empty()) ctx.fail(result.error);
  if (auto error = unsupported_rnn_activations(cell, ctx.attrs().get_strings("activations"),
                                                  result.geometry.directions)) {
    ctx.fail(*error);
  }
  if (ctx.attrs().has("clip") && !(ctx.attrs().get_float("clip") > 0)) {
    ctx.fail(fmt::format("attribute 'clip' = {} must be > 0", ctx.attrs().get_float("clip")));
  }
  return result.geometry;
}

std::vector<TensorType> f32_types(const std::vector<Shape>& shapes) {
  std::vector<TensorType> types;
  for (const Shape& s : shapes) types.push_back({DType::f32, s});
  return types;
}

ShapeFn infer_rnn(RnnCell cell) {
  return [cell](const InferContext& ctx) { return f32_types(checked_geometry(ctx, cell, 0).outputs()); };
}

/// LSTMGrad / GRUGrad: the gradients of the forward outputs (one per
/// output, each of the output's shape or a scalar), then the forward inputs. Outputs: dX, dW, dR, dB, d_initial_h
/// (, d_initial_c, dP for LSTM), whether or not the forward op had B,
/// initial_h, initial_c or P.
ShapeFn infer_rnn_grad(RnnCell cell) {
  return [cell](const InferContext& ctx) {
    size_t first = cell == RnnCell::lstm ? 3 : 2;
    RnnGeometry g = checked_geometry(ctx, cell, first);
    std::vector<Shape> forward = g.outputs();
    for (size_t i = 0; i < first; ++i) {
      TensorType expected{DType::f32, forward[i]};
      if (ctx.input(i).dtype != DType::f32 || !rnn_output_grad_fits(ctx.input(i).shape, forward[i])) {
        ctx.fail(fmt::format("input {} has type {}, expected {} (the type of the forward op's output {}) or f32[]",
                             i, ctx.input(i).to_string(), expected.to_string(), i));
      }
    }
    std::vector<Shape> shapes{g.x(), g.w(), g.r(), g.b(), g.state()};
    if (cell == RnnCell::lstm) {
      shapes.push_back(g.state());
      shapes.push_back(g.p());
    }
    return f32_types(shapes);
  };
}

/// Per step and direction, each gate multiplies x and h by its weights.
OpCost rnn_cost(const AttrMap&, const std::vector<TensorType>& inputs, const std::vector<TensorType>& outputs) {
  OpCost cost = default_cost(inputs, outputs);
  const Shape& x = inputs[kRnnX].shape;
  const Shape& w = inputs[kRnnW].shape;
  const Shape& r = inputs[kRnnR].shape;
  double steps = static_cast<double>(x[0] * x[1]);  // T·N in either layout
  cost.flops = 2.0 * steps * static_cast<double>(w[0] * w[1] * (w[2] + r[2]));
  return cost;
}

/// Backpropagation through time costs about twice the forward pass, plus
/// the recomputed forward.
CostFn rnn_grad_cost(size_t first) {
  return [first](const AttrMap& attrs, const std::vector<TensorType>& inputs, const std::vector<TensorType>& outputs) {
    OpCost cost = default_cost(inputs, outputs);
    std::vector<TensorType> forward(inputs.begin() + static_cast<std::ptrdiff_t>(first), inputs.end());
    cost.flops = 3.0 * rnn_cost(attrs, forward, outputs).flops;
    return cost;
  };
}

/// The gradient builder: one LSTMGrad/GRUGrad node gives every input's
/// gradient (a scalar 0 stands in for the gradient of an unused output).
GradientFn rnn_gradient(RnnCell cell) {
  return [cell](GradientContext& g) {
    const ir::Node& node = g.node();
    size_t outputs = cell == RnnCell::lstm ? 3 : 2;
    std::vector<ir::Value*> inputs;
    for (size_t i = 0; i < outputs; ++i) {
      ir::Value* dy = g.output_grad(i);
      inputs.push_back(dy != nullptr ? dy : g.scalar(0.0f));
    }
    for (ir::Value* v : node.inputs()) inputs.push_back(v);
    std::map<std::string, proto::AttrValue> attrs(g.attrs().values().begin(), g.attrs().values().end());
    int grad_outputs = cell == RnnCell::lstm ? 7 : 5;
    std::vector<ir::Value*> grads = g.add_node(cell == RnnCell::lstm ? "LSTMGrad" : "GRUGrad", inputs,
                                               std::move(attrs), grad_outputs);
    // Forward input -> the backward op's output (sequence_lens has none).
    const int output_of[] = {0, 1, 2, 3, -1, 4, 5, 6};
    std::vector<ir::Value*> result(node.inputs().size(), nullptr);
    for (size_t i = 0; i < result.size(); ++i) {
      if (output_of[i] >= 0 && g.wants_grad(i)) result[i] = grads[static_cast<size_t>(output_of[i])];
    }
    return result;
  };
}

proto::AttrValue empty_list() {
  proto::AttrValue a;
  a.mutable_list();
  return a;
}

/// The attributes LSTM, GRU and their backward ops share.
OpBuilder& rnn_attrs(OpBuilder& op) {
  return op.attr("direction", AttrType::string, attr_string("forward"), "forward, reverse or bidirectional")
      .attr("hidden_size", AttrType::int_, attr_int(0), "H; 0: R's last dim")
      .attr("layout", AttrType::int_, attr_int(0), "0: X [T, N, I]; 1: X [N, T, I]")
      .optional_attr("clip", AttrType::float_, "gate pre-activations clipped to [-clip, clip] (> 0)")
      .attr("activations", AttrType::strings, empty_list(), "[] or the defaults per direction");
}

/// The optional inputs after X, W and R.
OpBuilder& rnn_inputs(OpBuilder& op, RnnCell cell) {
  op.input("X").input("W").input("R").optional_input("B").optional_input("sequence_lens").optional_input(
      "initial_h");
  if (cell == RnnCell::lstm) op.optional_input("initial_c").optional_input("P");
  return op;
}

OpBuilder lstm_op(const char* name) {
  OpBuilder op(name);
  rnn_attrs(op).attr("input_forget", AttrType::bool_, attr_bool(false), "couple the gates: f = 1 - i");
  return op;
}

OpBuilder gru_op(const char* name) {
  OpBuilder op(name);
  rnn_attrs(op).attr("linear_before_reset", AttrType::bool_, attr_bool(false),
                     "apply the reset gate after R·h: h~ = tanh(W·x + Wb + r ⊙ (R·h + Rb))");
  return op;
}

/// LSTM or GRU: inputs, outputs, shape function, gradient and cost.
OpBuilder forward_op(OpBuilder op, RnnCell cell, const char* doc) {
  op.doc(doc);
  rnn_inputs(op, cell).output("Y").output("Y_h");
  if (cell == RnnCell::lstm) op.output("Y_c");
  op.infer(infer_rnn(cell)).gradient(rnn_gradient(cell)).cost(rnn_cost);
  return op;
}

}  // namespace

void register_rnn_ops(OpRegistry& r) {
  r.add(forward_op(lstm_op("LSTM"), RnnCell::lstm,
                   "One LSTM layer (ONNX LSTM): gates i, o, f, c; outputs Y, Y_h, Y_c."));
  r.add(forward_op(gru_op("GRU"), RnnCell::gru, "One GRU layer (ONNX GRU): gates z, r, h; outputs Y, Y_h."));

  OpBuilder lstm_grad = lstm_op("LSTMGrad");
  lstm_grad.doc("dX, dW, dR, dB, d_initial_h, d_initial_c, dP of LSTM by backpropagation through time.")
      .input("dY")
      .input("dY_h")
      .input("dY_c");
  rnn_inputs(lstm_grad, RnnCell::lstm);
  for (const char* out : {"dX", "dW", "dR", "dB", "d_initial_h", "d_initial_c", "dP"}) lstm_grad.output(out);
  lstm_grad.infer(infer_rnn_grad(RnnCell::lstm)).cost(rnn_grad_cost(3));
  r.add(lstm_grad);

  OpBuilder gru_grad = gru_op("GRUGrad");
  gru_grad.doc("dX, dW, dR, dB, d_initial_h of GRU by backpropagation through time.").input("dY").input("dY_h");
  rnn_inputs(gru_grad, RnnCell::gru);
  for (const char* out : {"dX", "dW", "dR", "dB", "d_initial_h"}) gru_grad.output(out);
  gru_grad.infer(infer_rnn_grad(RnnCell::gru)).cost(rnn_grad_cost(2));
  r.add(gru_grad);
}

}  // namespace graphc::ops
