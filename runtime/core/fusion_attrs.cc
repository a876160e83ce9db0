// epilogue_of, fused_body (see fusion_attrs.h).
#include "runtime/core/fusion_attrs.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <array>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"

namespace graphc {

Epilogue epilogue_of(const AttrMap& attrs) {
  Epilogue epilogue;
  if (!attrs.has("epilogue")) return epilogue;
  epilogue.ops = attrs.get_strings("epilogue");
  epilogue.addends = static_cast<int>(std::count(epilogue.ops.begin(), epilogue.ops.end(), "Add"));
  if (attrs.has("gelu_approximate")) epilogue.gelu_approximate = attrs.get_string("gelu_approximate");
  if (attrs.has("epilogue_scalars")) epilogue.scalars = attrs.get_floats("epilogue_scalars");
  size_t clips = 0;
  for (const auto& op : epilogue.ops) {
    if (op != "Add" && !is_epilogue_activation(op) && !is_epilogue_clip(op)) {
      throw Error::at_node(attrs.node(), attrs.op(),
                           "epilogue op '" + op + "' is not Add, Maximum, Minimum or an activation");
    }
    clips += is_epilogue_clip(op);
  }
  if (clips != epilogue.scalars.size()) {
    throw Error::at_node(attrs.node(), attrs.op(),
                         "the epilogue has " + std::to_string(clips) + " Maximum/Minimum ops but " +
                             std::to_string(epilogue.scalars.size()) + " epilogue_scalars");
  }
  return epilogue;
}

bool is_epilogue_clip(const std::string& op) { return op == "Maximum" || op == "Minimum"; }

bool is_epilogue_activation(const std::string& op) {
  static constexpr std::array<const char*, 4> kActivations = {"Relu", "Sigmoid", "Tanh", "Gelu"};
  return std::any_of(kActivations.begin(), kActivations.end(), [&](const char* a) { return op == a; });
}

proto::GraphDef fused_body(const AttrMap& attrs) {
  proto::GraphDef body;
  if (!google::protobuf::TextFormat::ParseFromString(attrs.get_string("body"), &body)) {
    throw Error::at_node(attrs.node(), attrs.op(), "attribute 'body' is not a GraphDef in text format");
  }
  return body;
}

bool is_row_reduction_op(const std::string& op) {
  return op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMean";
}

bool reduces_last_axis(const proto::NodeDef& def, int64_t rank) {
  if (!is_row_reduction_op(def.op()) || rank < 1) return false;
  auto keepdims = def.attr().find("keepdims");
  if (keepdims != def.attr().end() && !keepdims->second.b()) return false;
  auto axes = def.attr().find("axes");
  if (axes == def.attr().end() || axes->second.list().i_size() != 1) return false;
  int64_t axis = axes->second.list().i(0);
  return axis == rank - 1 || axis == -1;
}

bool is_label_mask_op(const std::string& op) { return op == "LabelMask"; }

bool works_row_by_row(const proto::GraphDef& body) {
  return std::any_of(body.node().begin(), body.node().end(), [](const proto::NodeDef& def) {
    return is_row_reduction_op(def.op()) || is_label_mask_op(def.op());
  });
}

std::map<std::string, Shape> fused_body_shapes(const proto::GraphDef& body, const std::vector<Shape>& input_shapes,
                                               const std::string& node) {
  std::map<std::string, Shape> shapes;
  size_t next_input = 0;
  for (const auto& def : body.node()) {
    std::string where = "body node '" + def.name() + "' (" + def.op() + ") of '" + node + "'";
    if (def.op() == "Placeholder") {
      if (next_input == input_shapes.size()) throw Error(where, "the body has more Placeholders than the node has inputs");
      shapes[def.name()] = input_shapes[next_input++];
      continue;
    }
    if (def.op() == "Const") {
      shapes[def.name()] = {};
      continue;
    }
    std::vector<const Shape*> in;
    for (const auto& input : def.input()) {
      auto it = shapes.find(input);
      if (it == shapes.end()) throw Error(where, "reads '" + input + "', not an earlier body node");
      in.push_back(&it->second);
    }
    if (in.empty()) throw Error(where, "has no inputs");
    if (is_row_reduction_op(def.op())) {
      auto rank = static_cast<int64_t>(in[0]->size());
      if (in.size() != 1 || !reduces_last_axis(def, rank)) throw Error(where, "does not reduce its last axis with keepdims");
      shapes[def.name()] = reduced_shape(*in[0], {rank - 1}, true);
      continue;
    }
    if (is_label_mask_op(def.op())) {  // (logits, labels): the logits' shape
      shapes[def.name()] = *in[0];
      continue;
    }
    Shape shape = *in[0];
    for (size_t i = 1; i < in.size(); ++i) {
      auto broadcast = broadcast_shapes(shape, *in[i]);
      if (!broadcast) throw Error(where, "its inputs do not broadcast together");
      shape = *broadcast;
    }
    shapes[def.name()] = std::move(shape);
  }
  return shapes;
}

}  // namespace graphc
