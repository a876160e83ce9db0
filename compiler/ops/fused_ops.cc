// Fused ops: made by the fusion passes, not written by users (a compiled
// module's graph shows them, and they import like any other op).
//
// FusedConv2D, FusedDense, FusedMatMul (fuse-epilogue): the anchor op with
// an *epilogue* its kernel applies while it writes the output: a sequence
// of "Add" (each reading the next trailing input, broadcast to the output),
// "Maximum"/"Minimum" with a scalar (clips, e.g. Relu6) and at most one
// activation, last. The schema is the anchor's plus the trailing
// addends and the epilogue attributes, so the anchor's shape function,
// reference kernel and oneDNN kernel serve it unchanged.
//
// FusedElementwise (fuse-elementwise): a DAG of elementwise ops over one
// iteration shape, run as one loop. `body` is a GraphDef in text format:
// Placeholders "in0".."inK" (the node's inputs, each broadcast to `shape`),
// scalar Consts, and ops whose outputs all have `shape` and dtype f32; its
// signature outputs are the node's outputs. At -O2 its kernel is generated
// by compiler/codegen; the reference kernel interprets the body.
#include <fmt/format.h>

#include <set>

#include "compiler/codegen/generated_kernels.h"
#include "compiler/ops/op_registry.h"
#include "runtime/core/fusion_attrs.h"
#include "runtime/core/shape_rules.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::ops {
namespace {

/// The anchor's schema extended with the epilogue.
OpSchema fused_anchor_schema(const OpSchema& anchor) {
  OpSchema fused = anchor;
  fused.name = "Fused" + anchor.name;
  fused.doc = fmt::format("{} with an epilogue (adds and one activation) applied as it writes y.", anchor.name);
  fused.inputs.push_back("addends");
  fused.max_inputs = -1;
  fused.attrs.push_back({"epilogue", AttrType::strings, std::nullopt, false,
                         "\"Add\" (reads the next addend) or an activation, in order"});
  fused.attrs.push_back({"gelu_approximate", AttrType::string, attr_string("none"), false, "a Gelu's approximation"});
  fused.attrs.push_back({"epilogue_scalars", AttrType::floats, attr_floats({}), false,
                         "the scalar of each Maximum/Minimum (a clip), in order"});
  fused.gradient = nullptr;  // fusion runs after autodiff
  if (LayoutPortsFn anchor_ports = anchor.channels_last) {
    // The anchor's ports, and the addends: the kernel binds each in its own layout.
    fused.channels_last = [anchor_ports](const AttrMap& attrs, size_t num_inputs) {
      int addends = epilogue_of(attrs).addends;
      LayoutPorts ports = anchor_ports(attrs, num_inputs - addends);
      for (size_t i = num_inputs - addends; i < num_inputs; ++i) ports.inputs.push_back(static_cast<int>(i));
      return ports;
    };
  }
  ShapeFn anchor_infer = anchor.infer;
  fused.infer = [anchor_infer](const InferContext& ctx) {
    Epilogue epilogue = epilogue_of(ctx.attrs());
    int64_t anchor_inputs = static_cast<int64_t>(ctx.num_inputs()) - epilogue.addends;
    if (anchor_inputs < 2) ctx.fail(fmt::format("has {} inputs for {} epilogue addends", ctx.num_inputs(), epilogue.addends));
    std::vector<TensorType> inputs;
    std::vector<const Tensor*> constants;
    for (int64_t i = 0; i < anchor_inputs; ++i) {
      inputs.push_back(ctx.input(i));
      constants.push_back(ctx.constant(i));
    }
    std::vector<TensorType> outputs = anchor_infer(InferContext(ctx.attrs(), std::move(inputs), std::move(constants)));
    for (size_t i = anchor_inputs; i < ctx.num_inputs(); ++i) {
      auto shape = broadcast_shapes(ctx.input(i).shape, outputs[0].shape);
      if (ctx.input(i).dtype != outputs[0].dtype || !shape || *shape != outputs[0].shape) {
        ctx.fail(fmt::format("epilogue addend {} ({}) does not broadcast to the output {}", i - anchor_inputs,
                             ctx.input(i).to_string(), outputs[0].to_string()));
      }
    }
    return outputs;
  };
  return fused;
}

/// Checks what the kernels assume of a body: Placeholders first-come as the
/// inputs, Consts f32 scalars, every other node an op generated code
/// supports, reading only nodes before it; outputs name body nodes.
void check_body(const InferContext& ctx, const proto::GraphDef& body) {
  std::set<std::string> defined;
  size_t placeholders = 0;
  for (const auto& n : body.node()) {
    std::string where = fmt::format("body node '{}' ({})", n.name(), n.op());
    if (n.op() == "Placeholder") {
      ++placeholders;
    } else if (n.op() == "Const") {
      auto value = n.attr().find("value");
      if (value == n.attr().end() || value->second.tensor().dtype() != proto::DT_FLOAT ||
          tensor_from_proto(value->second.tensor(), where).num_elements() != 1) {
        ctx.fail(where + " is not an f32 scalar");
      }
    } else {
      if (!codegen::has_emitter(n.op(), AttrMap(n.name(), n.op(), {n.attr().begin(), n.attr().end()}))) {
        ctx.fail(where + " is not an op generated kernels support");
      }
      for (const auto& input : n.input()) {
        if (!defined.count(input)) ctx.fail(fmt::format("{} reads '{}', not an earlier body node", where, input));
      }
    }
    defined.insert(n.name());
  }
  if (placeholders != ctx.num_inputs()) {
    ctx.fail(fmt::format("the body has {} Placeholders for {} inputs", placeholders, ctx.num_inputs()));
  }
  for (const auto& out : body.signature().outputs()) {
    if (!defined.count(out.tensor())) ctx.fail(fmt::format("body output '{}' names no body node", out.tensor()));
  }
}

std::vector<TensorType> infer_fused_elementwise(const InferContext& ctx) {
  Shape shape = ctx.attrs().get_shape("shape");
  proto::GraphDef body = fused_body(ctx.attrs());
  check_body(ctx, body);
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    auto broadcast = broadcast_shapes(ctx.input(i).shape, shape);
    if (ctx.input(i).dtype != DType::f32 || !broadcast || *broadcast != shape) {
      ctx.fail(fmt::format("input {} ({}) is not f32 broadcasting to {}", i, ctx.input(i).to_string(),
                           shape_to_string(shape)));
    }
  }
  int64_t outputs = ctx.attrs().get_int("num_outputs");
  if (outputs != body.signature().outputs_size()) {
    ctx.fail(fmt::format("num_outputs is {}, the body has {} outputs", outputs, body.signature().outputs_size()));
  }
  return std::vector<TensorType>(outputs, TensorType{DType::f32, shape});
}

}  // namespace

void register_fused_ops(OpRegistry& r) {
  for (const char* anchor : {"Conv2D", "Dense", "MatMul"}) r.add(fused_anchor_schema(*r.find(anchor)));
  r.add(OpBuilder("FusedElementwise")
            .doc("A DAG of elementwise ops over one iteration shape, run as one loop (see `body`).")
            .variadic_input("inputs")
            .output("outputs")
            .output_count([](const AttrMap& attrs) { return static_cast<int>(attrs.get_int("num_outputs")); })
            .attr("body", AttrType::string, "the fused ops: a GraphDef in text format")
            .attr("shape", AttrType::shape, "the iteration shape: every output's")
            .attr("num_outputs", AttrType::int_, "outputs of the body")
            .infer(infer_fused_elementwise)
            .elementwise());
}

}  // namespace graphc::ops
