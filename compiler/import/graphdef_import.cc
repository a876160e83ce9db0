// GraphDef -> IR in two phases: create every node (so inputs may name nodes
// defined later in the file), then connect inputs and resolve the signature.
#include "compiler/import/graphdef_import.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <set>

#include "compiler/ops/op_registry.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc {

namespace {

/// The GraphDef format version this compiler writes and the oldest it reads.
constexpr int kProducerVersion = 1;

struct TensorRef {
  std::string node;
  int port = 0;
  bool control = false;
};

/// Parses "node", "node:port" or "^node".
TensorRef parse_ref(const std::string& text, const std::string& where) {
  TensorRef ref;
  std::string_view s = text;
  if (!s.empty() && s[0] == '^') {
    ref.control = true;
    s.remove_prefix(1);
  }
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && !ref.control) {
    std::string_view port = s.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), ref.port);
    if (ec != std::errc() || ptr != port.data() + port.size() || ref.port < 0) {
      throw Error(where, fmt::format("input '{}' has an invalid port '{}'", text, port));
    }
    s = s.substr(0, colon);
  }
  if (s.empty()) throw Error(where, fmt::format("input '{}' names no node", text));
  ref.node = std::string(s);
  return ref;
}

AttrMap checked_attrs(const proto::NodeDef& def, const ops::OpSchema& schema) {
  std::map<std::string, proto::AttrValue> values(def.attr().begin(), def.attr().end());
  for (const auto& [name, value] : values) {
    const ops::AttrSpec* spec = schema.find_attr(name);
    if (spec == nullptr) {
      std::vector<std::string> known;
      for (const auto& a : schema.attrs) known.push_back(a.name);
      throw Error::at_node(def.name(), def.op(),
                           fmt::format("unknown attribute '{}' (the op takes: {})", name,
                                       known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
    }
    if (!ops::attr_matches(value, spec->type)) {
      throw Error::at_node(def.name(), def.op(),
                           fmt::format("attribute '{}' must be {}, found {}", name, ops::attr_type_name(spec->type),
                                       attr_kind_name(value.value_case())));
    }
  }
  for (const auto& spec : schema.attrs) {
    if (values.count(spec.name)) continue;
    if (spec.default_value) {
      values[spec.name] = *spec.default_value;
    } else if (!spec.optional) {
      throw Error::at_node(def.name(), def.op(),
                           fmt::format("missing required attribute '{}' ({})", spec.name, ops::attr_type_name(spec.type)));
    }
  }
  return AttrMap(def.name(), def.op(), std::move(values));
}

void apply_shape_override(const proto::NodeDef& def, AttrMap& attrs, const Shape& shape) {
  Shape declared = attrs.get_shape("shape");
  if (declared.size() != shape.size()) {
    throw Error::at_node(def.name(), def.op(),
                         fmt::format("--shape gives rank {} {}, the placeholder is declared {}", shape.size(),
                                     shape_to_string(shape), shape_to_string(declared)));
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (declared[i] != -1 && declared[i] != shape[i]) {
      throw Error::at_node(def.name(), def.op(),
                           fmt::format("--shape gives {}, which contradicts the declared shape {} at dim {}",
                                       shape_to_string(shape), shape_to_string(declared), i));
    }
  }
  attrs.set("shape", ops::attr_shape(shape));
}

ir::Value* resolve_ref(const ir::Graph& g, const TensorRef& ref, const std::string& text, const std::string& where) {
  ir::Node* producer = g.find(ref.node);
  if (producer == nullptr) throw Error(where, fmt::format("input '{}' names no node of the graph", text));
  if (ref.port >= static_cast<int>(producer->num_outputs())) {
    throw Error(where, fmt::format("input '{}' asks for output {} but {} ({}) has {} output(s)", text, ref.port,
                                   producer->name(), producer->op(), producer->num_outputs()));
  }
  return producer->output(ref.port);
}

}  // namespace

std::unique_ptr<ir::Graph> import_graphdef(const proto::GraphDef& def, const std::string& source,
                                           const ShapeOverrides& shapes) {
  if (def.version().min_consumer() > kProducerVersion) {
    throw Error(source, fmt::format("the graph needs a reader of version {} or newer; this graphc reads version {}",
                                    def.version().min_consumer(), kProducerVersion));
  }
  if (def.node().empty()) throw Error(source, "the graph has no nodes");
  const auto& registry = ops::OpRegistry::global();
  auto graph = std::make_unique<ir::Graph>();
  // --shape may name a signature input; overrides apply to its Placeholder.
  ShapeOverrides unused_shapes = shapes;
  for (const auto& entry : def.signature().inputs()) {
    auto it = unused_shapes.find(entry.name());
    if (it == unused_shapes.end() || entry.name() == entry.tensor()) continue;
    Shape shape = it->second;
    unused_shapes.erase(it);
    unused_shapes[parse_ref(entry.tensor(), "signature input '" + entry.name() + "'").node] = shape;
  }

  for (const auto& node : def.node()) {
    if (node.name().empty()) throw Error(source, fmt::format("a node of op '{}' has no name", node.op()));
    if (node.name().find_first_of(":^ ") != std::string::npos) {
      throw Error::at_node(node.name(), node.op(), "node names may not contain ':', '^' or spaces");
    }
    const ops::OpSchema* schema = registry.find(node.op());
    if (schema == nullptr) throw Error::at_node(node.name(), node.op(), "unknown op (see docs/ops.md for the ops graphc knows)");
    if (graph->find(node.name())) throw Error::at_node(node.name(), node.op(), "duplicate node name");
    AttrMap attrs = checked_attrs(node, *schema);
    if (node.op() == "Const") {
      // Decoding checks the data against dtype and dims now, and brings
      // external data in, so the IR is self-contained.
      std::string where = fmt::format("node '{}' (Const) attribute 'value'", node.name());
      Tensor value = tensor_from_proto(attrs.get_tensor("value"), where, std::filesystem::path(source).parent_path());
      attrs.set("value", ops::attr_tensor(value));
    }
    if (auto it = unused_shapes.find(node.name()); it != unused_shapes.end()) {
      if (node.op() != "Placeholder") {
        throw Error::at_node(node.name(), node.op(), "--shape names a node that is not a Placeholder");
      }
      apply_shape_override(node, attrs, it->second);
      unused_shapes.erase(it);
    }
    int num_outputs = schema->num_outputs(attrs);
    ir::Node* n = graph->add_node(node.name(), node.op(), std::move(attrs), {}, num_outputs);
    n->set_device(node.device());
  }
  if (!unused_shapes.empty()) {
    throw Error(source, fmt::format("--shape names '{}', which is not a node of the graph", unused_shapes.begin()->first));
  }

  for (const auto& node : def.node()) {
    ir::Node* n = graph->find(node.name());
    std::string where = fmt::format("node '{}' ({})", node.name(), node.op());
    bool seen_control = false;
    for (const auto& text : node.input()) {
      TensorRef ref = parse_ref(text, where);
      if (ref.control) {
        ir::Node* pred = graph->find(ref.node);
        if (pred == nullptr) throw Error(where, fmt::format("control input '{}' names no node of the graph", text));
        n->add_control_input(pred);
        seen_control = true;
        continue;
      }
      if (seen_control) throw Error(where, fmt::format("data input '{}' follows a control input", text));
      n->add_input(resolve_ref(*graph, ref, text, where));
    }
    const ops::OpSchema& schema = *registry.find(node.op());
    int count = static_cast<int>(n->inputs().size());
    if (count < schema.min_inputs || (schema.max_inputs >= 0 && count > schema.max_inputs)) {
      std::string expected = schema.max_inputs < 0 ? fmt::format("at least {}", schema.min_inputs)
                             : schema.min_inputs == schema.max_inputs
                                 ? fmt::format("{}", schema.min_inputs)
                                 : fmt::format("{} to {}", schema.min_inputs, schema.max_inputs);
      throw Error(where, fmt::format("takes {} input(s) ({}), found {}", expected, fmt::join(schema.inputs, ", "), count));
    }
  }
  // Reports a cycle, naming a node on it, before the signature is resolved:
  // on a cycle every output has a consumer, so the default signature would
  // otherwise find "no outputs".
  graph->topological_order();

  const auto& sig = def.signature();
  if (sig.inputs().empty()) {
    for (ir::Node* n : graph->nodes()) {
      if (n->op() == "Placeholder") graph->inputs().push_back({n->name(), n->output(0)});
    }
  }
  for (const auto& entry : sig.inputs()) {
    std::string where = fmt::format("signature input '{}'", entry.name());
    ir::Value* v = resolve_ref(*graph, parse_ref(entry.tensor(), where), entry.tensor(), where);
    if (v->producer()->op() != "Placeholder") {
      throw Error(where, fmt::format("names '{}' ({}), but inputs must be Placeholders", entry.tensor(), v->producer()->op()));
    }
    // One Placeholder is one buffer to fill: two names for it would be two
    // inputs the runtime cannot both bind.
    for (const auto& earlier : graph->inputs()) {
      if (earlier.value == v) {
        throw Error(where, fmt::format("names '{}', which input '{}' already names", entry.tensor(), earlier.name));
      }
    }
    graph->inputs().push_back({entry.name(), v});
  }
  if (sig.outputs().empty()) {
    for (ir::Node* n : graph->nodes()) {
      for (size_t i = 0; i < n->num_outputs(); ++i) {
        ir::Value* v = n->output(i);
        if (v->uses().empty() && n->op() != "Placeholder") graph->outputs().push_back({v->name(), v});
      }
    }
  }
  for (const auto& entry : sig.outputs()) {
    std::string where = fmt::format("signature output '{}'", entry.name());
    graph->outputs().push_back({entry.name(), resolve_ref(*graph, parse_ref(entry.tensor(), where), entry.tensor(), where)});
  }
  for (const auto& entry : sig.assignments()) {
    std::string where = fmt::format("signature assignment '{}'", entry.name());
    ir::Node* variable = graph->find(entry.name());
    if (variable == nullptr || variable->op() != "Variable") {
      throw Error(where, fmt::format("names '{}', which is not a Variable node", entry.name()));
    }
    graph->assignments().push_back({variable, resolve_ref(*graph, parse_ref(entry.tensor(), where), entry.tensor(), where)});
  }
  for (auto* list : {&graph->inputs(), &graph->outputs()}) {
    std::set<std::string> names;
    for (const auto& s : *list) {
      if (s.name.empty() || !names.insert(s.name).second) {
        throw Error(source, fmt::format("signature name '{}' is empty or used twice", s.name));
      }
    }
  }
  if (graph->outputs().empty()) throw Error(source, "the graph has no outputs");
  return graph;
}

proto::GraphDef export_graphdef(const ir::Graph& graph) {
  proto::GraphDef def;
  def.mutable_version()->set_producer(kProducerVersion);
  def.mutable_version()->set_min_consumer(kProducerVersion);
  for (const ir::Node* n : graph.topological_order()) {
    proto::NodeDef* node = def.add_node();
    node->set_name(n->name());
    node->set_op(n->op());
    node->set_device(n->device());
    for (const ir::Value* v : n->inputs()) node->add_input(v->name());
    for (const ir::Node* c : n->control_inputs()) node->add_input("^" + c->name());
    for (const auto& [name, value] : n->attrs().values()) (*node->mutable_attr())[name] = value;
  }
  for (const auto& s : graph.inputs()) {
    auto* e = def.mutable_signature()->add_inputs();
    e->set_name(s.name);
    e->set_tensor(s.value->name());
  }
  for (const auto& s : graph.outputs()) {
    auto* e = def.mutable_signature()->add_outputs();
    e->set_name(s.name);
    e->set_tensor(s.value->name());
  }
  for (const auto& a : graph.assignments()) {
    auto* e = def.mutable_signature()->add_assignments();
    e->set_name(a.variable->name());
    e->set_tensor(a.value->name());
  }
  return def;
}

}  // namespace graphc
