// epilogue_of, fused_body (see fusion_attrs.h).
#include "runtime/core/fusion_attrs.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <array>

#include "graphc/error.h"

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

}  // namespace graphc
