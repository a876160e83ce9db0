// ONNX -> IR in one walk over the (topologically ordered) ONNX nodes:
// initializers become Const nodes, graph inputs Placeholders, and each node
// is handed to its op type's converter (onnx_*_converters.cc), which emits
// graphc nodes through OnnxNode.
//
// While emitting, the importer types every node whose input types are known
// (by the op's own shape function) and can evaluate a value from constants
// and static types with the reference kernels. Converters use this to read
// inputs that decide shapes (a Reshape's shape computed by Shape -> Gather ->
// Concat) and to choose a lowering by rank; it never changes what the graph
// computes.
#include "compiler/import/onnx_import.h"

#include <fmt/format.h>

#include <set>
#include <unordered_map>

#include "compiler/import/onnx_converter.h"
#include "compiler/import/onnx_model.h"
#include "compiler/ops/op_registry.h"
#include "compiler/passes/known_values.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc {

namespace onnx_import {

/// A valid graphc node name from an ONNX name: ':', '^' and spaces (which
/// GraphDef input references reserve) become '_'.
std::string sanitized(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (c == ':' || c == '^' || c == ' ' || c == '\n' || c == '\t') c = '_';
  }
  return out;
}

class ImportState {
 public:
  ImportState(ir::Graph& graph, std::filesystem::path source) : graph(graph), source(std::move(source)) {}

  ir::Graph& graph;
  std::filesystem::path source;
  std::unordered_map<std::string, ir::Value*> values;  // ONNX value name -> IR value
  std::string base_name;                                // of the node being converted
  passes::KnownValues known;

  ir::Node* add_node(const std::string& op, const std::vector<ir::Value*>& inputs, const Attrs& attrs,
                     int num_outputs);
  void try_infer(ir::Node* n);
};

ir::Node* ImportState::add_node(const std::string& op, const std::vector<ir::Value*>& inputs, const Attrs& attrs,
                                int num_outputs) {
  const ops::OpSchema* schema = ops::OpRegistry::global().find(op);
  std::string name = graph.unique_name(base_name.empty() ? op : base_name);
  if (schema == nullptr) throw Error::at_node(name, op, "internal error: the ONNX importer emitted an unknown op");
  std::map<std::string, proto::AttrValue> values(attrs.begin(), attrs.end());
  for (const auto& [attr, value] : values) {
    const ops::AttrSpec* spec = schema->find_attr(attr);
    if (spec == nullptr || !ops::attr_matches(value, spec->type)) {
      throw Error::at_node(name, op, fmt::format("internal error: the ONNX importer set attribute '{}' wrongly", attr));
    }
  }
  for (const auto& spec : schema->attrs) {
    if (values.count(spec.name)) continue;
    if (spec.default_value) values[spec.name] = *spec.default_value;
  }
  AttrMap attr_map(name, op, std::move(values));
  int count = static_cast<int>(inputs.size());
  if (count < schema->min_inputs || (schema->max_inputs >= 0 && count > schema->max_inputs)) {
    throw Error::at_node(name, op, fmt::format("internal error: the ONNX importer gave {} inputs", count));
  }
  ir::Node* n = graph.add_node(name, op, std::move(attr_map), inputs, num_outputs);
  try_infer(n);
  return n;
}

void ImportState::try_infer(ir::Node* n) {
  const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
  std::vector<TensorType> types;
  std::vector<std::optional<Tensor>> constants;
  for (const ir::Value* v : n->inputs()) {
    if (!v->has_type()) return;
    types.push_back(v->type());
    const ir::Node* p = v->producer();
    constants.push_back(p->op() == "Const" ? std::optional<Tensor>(tensor_from_proto(
                                                 p->attrs().get_tensor("value"), fmt::format("node '{}'", p->name())))
                                           : std::nullopt);
  }
  std::vector<const Tensor*> constant_ptrs;
  for (const auto& c : constants) constant_ptrs.push_back(c ? &*c : nullptr);
  ops::InferContext ctx(n->attrs(), std::move(types), std::move(constant_ptrs));
  std::vector<TensorType> outputs = schema->infer(ctx);
  if (outputs.size() != n->num_outputs()) return;
  for (size_t i = 0; i < outputs.size(); ++i) {
    for (int64_t d : outputs[i].shape) {
      if (d < 0) return;  // a Placeholder with unknown dims
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    n->output(i)->set_type(outputs[i]);
    n->output(i)->mark_typed();
  }
}

// ---- OnnxNode ----

OnnxNode::OnnxNode(ImportState& state, const onnx::NodeProto& node, int index, int opset)
    : state_(state), node_(node), opset_(opset) {
  display_name_ = node.name().empty() ? fmt::format("#{}", index) : node.name();
}

ir::Value* OnnxNode::input(size_t i) const {
  if (!has_input(i)) fail(fmt::format("input {} is required but absent", i));
  const std::string& name = node_.input(static_cast<int>(i));
  auto it = state_.values.find(name);
  if (it == state_.values.end()) {
    fail(fmt::format("input {} '{}' is not produced by an earlier node, an initializer or a graph input", i, name));
  }
  return it->second;
}

std::optional<TensorType> OnnxNode::type_of(ir::Value* v) const {
  if (!v->has_type()) return std::nullopt;
  return v->type();
}

const TensorType& OnnxNode::input_type(size_t i) const {
  ir::Value* v = input(i);
  if (!v->has_type()) {
    fail(fmt::format("needs the static shape of input {} '{}', which depends on unknown input dims (fix them with "
                     "--shape NAME=DIMS)",
                     i, node_.input(static_cast<int>(i))));
  }
  return v->type();
}

std::optional<Tensor> OnnxNode::constant_input(size_t i) const {
  if (!has_input(i)) return std::nullopt;
  return state_.known.get(input(i));
}

Tensor OnnxNode::required_constant(size_t i, const std::string& what) const {
  auto value = constant_input(i);
  if (!value) {
    fail(fmt::format("input {} ({}) must be known at compile time: a constant, or computed from constants and "
                     "input shapes (fix unknown input dims with --shape NAME=DIMS)",
                     i, what));
  }
  return *value;
}

std::vector<int64_t> OnnxNode::required_ints(size_t i, const std::string& what) const {
  Tensor t = required_constant(i, what);
  std::vector<int64_t> out;
  if (t.dtype() == DType::i64) {
    out.assign(t.data<int64_t>(), t.data<int64_t>() + t.num_elements());
  } else if (t.dtype() == DType::i32) {
    out.assign(t.data<int32_t>(), t.data<int32_t>() + t.num_elements());
  } else {
    fail(fmt::format("input {} ({}) must be int32 or int64, found {}", i, what, dtype_name(t.dtype())));
  }
  return out;
}

double OnnxNode::required_scalar(size_t i, const std::string& what) const {
  Tensor t = required_constant(i, what);
  if (t.num_elements() != 1) fail(fmt::format("input {} ({}) must hold one value, found {}", i, what, t.num_elements()));
  switch (t.dtype()) {
    case DType::f32: return t.data<float>()[0];
    case DType::i32: return t.data<int32_t>()[0];
    case DType::i64: return static_cast<double>(t.data<int64_t>()[0]);
    case DType::i8: return t.data<int8_t>()[0];
    case DType::boolean: return t.data<bool>()[0];
    default: fail(fmt::format("input {} ({}) has unsupported dtype {}", i, what, dtype_name(t.dtype())));
  }
}

const onnx::AttributeProto* OnnxNode::attr(const std::string& name) const {
  for (const auto& a : node_.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t OnnxNode::attr_int(const std::string& name, int64_t fallback) const {
  const auto* a = attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto::INT && !a->has_i()) fail(fmt::format("attribute '{}' must be an int", name));
  return a->i();
}

float OnnxNode::attr_float(const std::string& name, float fallback) const {
  const auto* a = attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto::FLOAT && !a->has_f()) fail(fmt::format("attribute '{}' must be a float", name));
  return a->f();
}

std::string OnnxNode::attr_string(const std::string& name, const std::string& fallback) const {
  const auto* a = attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto::STRING && !a->has_s()) {
    fail(fmt::format("attribute '{}' must be a string", name));
  }
  return a->s();
}

std::vector<int64_t> OnnxNode::attr_ints(const std::string& name, const std::vector<int64_t>& fallback) const {
  const auto* a = attr(name);
  if (a == nullptr) return fallback;
  if (a->type() != onnx::AttributeProto::INTS && a->ints_size() == 0 && a->type() != onnx::AttributeProto::UNDEFINED) {
    fail(fmt::format("attribute '{}' must be a list of ints", name));
  }
  return {a->ints().begin(), a->ints().end()};
}

std::vector<float> OnnxNode::attr_floats(const std::string& name) const {
  const auto* a = attr(name);
  if (a == nullptr) return {};
  return {a->floats().begin(), a->floats().end()};
}

void OnnxNode::reject_attr(const std::string& name, const std::string& why) const {
  if (has_attr(name)) fail(fmt::format("attribute '{}' is not supported: {}", name, why));
}

ir::Value* OnnxNode::emit(const std::string& op, const std::vector<ir::Value*>& inputs, const Attrs& attrs) {
  return state_.add_node(op, inputs, attrs, 1)->output(0);
}

std::vector<ir::Value*> OnnxNode::emit_multi(const std::string& op, const std::vector<ir::Value*>& inputs,
                                             const Attrs& attrs, int num_outputs) {
  ir::Node* n = state_.add_node(op, inputs, attrs, num_outputs);
  std::vector<ir::Value*> out;
  for (int i = 0; i < num_outputs; ++i) out.push_back(n->output(static_cast<size_t>(i)));
  return out;
}

ir::Value* OnnxNode::constant(const Tensor& value) {
  proto::AttrValue v;
  *v.mutable_tensor() = tensor_to_proto(value);
  ir::Value* out = state_.add_node("Const", {}, {{"value", v}}, 1)->output(0);
  state_.known.remember(out, value);
  return out;
}

ir::Value* OnnxNode::scalar(DType dtype, double value) {
  Tensor t(dtype, {});
  switch (dtype) {
    case DType::f32: t.data<float>()[0] = static_cast<float>(value); break;
    case DType::i32: t.data<int32_t>()[0] = static_cast<int32_t>(value); break;
    case DType::i64: t.data<int64_t>()[0] = static_cast<int64_t>(value); break;
    case DType::i8: t.data<int8_t>()[0] = static_cast<int8_t>(value); break;
    case DType::boolean: t.data<bool>()[0] = value != 0; break;
    default: fail(fmt::format("internal error: no scalar constant of dtype {}", dtype_name(dtype)));
  }
  return constant(t);
}

ir::Value* OnnxNode::ints_constant(const std::vector<int64_t>& values) {
  Tensor t(DType::i64, {static_cast<int64_t>(values.size())});
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return constant(t);
}

void OnnxNode::set_output(size_t i, ir::Value* value) {
  if (!has_output(i)) return;
  const std::string& name = node_.output(static_cast<int>(i));
  if (!state_.values.emplace(name, value).second) {
    fail(fmt::format("output '{}' is already defined by another node (ONNX values are assigned once)", name));
  }
}

void OnnxNode::expect_outputs_at_most(size_t count, const std::string& why) const {
  for (size_t i = count; i < num_outputs(); ++i) {
    if (has_output(i)) fail(fmt::format("output {} is not supported: {}", i, why));
  }
}

void OnnxNode::fail(const std::string& message) const {
  throw Error::at_node(display_name_, op_type(), message);
}

proto::AttrValue a_int(int64_t v) { return ops::attr_int(v); }
proto::AttrValue a_float(float v) { return ops::attr_float(v); }
proto::AttrValue a_bool(bool v) { return ops::attr_bool(v); }
proto::AttrValue a_string(std::string v) { return ops::attr_string(std::move(v)); }
proto::AttrValue a_ints(const std::vector<int64_t>& v) { return ops::attr_ints(v); }
proto::AttrValue a_dtype(DType v) { return ops::attr_dtype(v); }

const ConverterTable& converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    register_math_converters(t);
    register_nn_converters(t);
    register_shape_converters(t);
    return t;
  }();
  return table;
}

}  // namespace onnx_import

namespace {

using onnx_import::ImportState;
using onnx_import::OnnxNode;
using onnx_import::sanitized;

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

/// The op's key in the converter table: "Relu", or "domain.Op" outside the
/// default domain.
std::string op_key(const onnx::NodeProto& node) {
  return is_default_domain(node.domain()) ? node.op_type() : node.domain() + "." + node.op_type();
}

int default_opset(const onnx::ModelProto& model, const std::string& source) {
  int opset = -1;
  for (const auto& entry : model.opset_import()) {
    if (is_default_domain(entry.domain())) opset = static_cast<int>(entry.version());
  }
  if (opset < 0) {
    // IR version 1-2 models predate opset_import and mean opset 1.
    if (model.ir_version() >= 3) throw Error(source, "the model imports no default-domain (ai.onnx) opset");
    opset = 1;
  }
  if (opset > kMaxOnnxOpset) {
    throw Error(source, fmt::format("the model uses ONNX opset {}; this graphc supports opsets up to {}", opset,
                                    kMaxOnnxOpset));
  }
  return opset;
}

/// One error listing every op of the graph that no converter handles.
void check_supported(const onnx::GraphProto& g, const std::string& source) {
  const auto& table = onnx_import::converters();
  std::map<std::string, std::vector<std::string>> missing;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    std::string key = op_key(node);
    if (table.count(key)) continue;
    missing[key].push_back(node.name().empty() ? fmt::format("#{}", i) : node.name());
  }
  if (missing.empty()) return;
  std::vector<std::string> parts;
  for (const auto& [op, nodes] : missing) {
    std::vector<std::string> shown(nodes.begin(), nodes.begin() + std::min<size_t>(nodes.size(), 5));
    for (auto& s : shown) s = "'" + s + "'";
    parts.push_back(fmt::format("{} x{} (node{} {}{})", op, nodes.size(), nodes.size() == 1 ? "" : "s",
                                fmt::join(shown, ", "), nodes.size() > 5 ? ", ..." : ""));
  }
  throw Error(source, fmt::format("the model uses {} unsupported ONNX op type{}: {}", missing.size(),
                                  missing.size() == 1 ? "" : "s", fmt::join(parts, "; ")));
}

Shape declared_shape(const onnx::ValueInfoProto& input, const std::string& where, bool& has_shape) {
  const auto& tt = input.type().tensor_type();
  has_shape = tt.has_shape();
  Shape shape;
  for (const auto& dim : tt.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) throw Error(where, fmt::format("dim {} is negative", dim.dim_value()));
      shape.push_back(dim.dim_value());
    } else {
      shape.push_back(-1);  // symbolic (dim_param) or unknown
    }
  }
  return shape;
}

}  // namespace

std::unique_ptr<ir::Graph> import_onnx(const onnx::ModelProto& model, const std::filesystem::path& source_path,
                                       const OnnxImportOptions& options) {
  const std::string source = source_path.string();
  if (!model.has_graph()) throw Error(source, "the ONNX model has no graph");
  const onnx::GraphProto& g = model.graph();
  check_supported(g, source);
  int opset = default_opset(model, source);
  if (g.sparse_initializer_size() > 0) throw Error(source, "sparse initializers are not supported");

  auto graph = std::make_unique<ir::Graph>();
  ImportState state(*graph, source_path);
  const std::filesystem::path base_dir = source_path.parent_path();

  auto define = [&](const std::string& name, ir::Value* v, const std::string& where) {
    if (name.empty()) throw Error(where, "has an empty name");
    if (!state.values.emplace(name, v).second) throw Error(where, "is defined twice");
  };
  auto add_const = [&](const std::string& name, const Tensor& value) {
    state.base_name = sanitized(name);
    proto::AttrValue v;
    *v.mutable_tensor() = tensor_to_proto(value);
    ir::Value* out = state.add_node("Const", {}, {{"value", v}}, 1)->output(0);
    state.known.remember(out, value);
    return out;
  };

  std::set<std::string> initializer_names;
  for (const auto& init : g.initializer()) {
    std::string where = fmt::format("{}: initializer '{}'", source, init.name());
    Tensor value = tensor_from_onnx(init, where, base_dir);
    define(init.name(), add_const(init.name(), value), where);
    initializer_names.insert(init.name());
  }

  ShapeOverrides unused_shapes = options.shapes;
  for (const auto& input : g.input()) {
    if (initializer_names.count(input.name())) continue;  // a default value, not an input
    std::string where = fmt::format("{}: graph input '{}'", source, input.name());
    if (auto it = options.constant_inputs.find(input.name()); it != options.constant_inputs.end()) {
      define(input.name(), add_const(input.name(), it->second), where);
      unused_shapes.erase(input.name());
      continue;
    }
    if (!input.type().has_tensor_type()) {
      throw Error(where, "only tensor inputs are supported (not sequences, maps or optionals)");
    }
    int32_t elem = input.type().tensor_type().elem_type();
    std::optional<DType> dtype = dtype_from_onnx(elem);
    if (!dtype) throw Error(where, fmt::format("dtype {} is not supported", onnx_dtype_name(elem)));
    bool has_shape = false;
    Shape shape = declared_shape(input, where, has_shape);
    if (auto it = unused_shapes.find(input.name()); it != unused_shapes.end()) {
      const Shape& given = it->second;
      if (has_shape && given.size() != shape.size()) {
        throw Error(where, fmt::format("--shape gives rank {} {}, the input is declared {}", given.size(),
                                       shape_to_string(given), shape_to_string(shape)));
      }
      for (size_t i = 0; has_shape && i < shape.size(); ++i) {
        if (shape[i] != -1 && shape[i] != given[i]) {
          throw Error(where, fmt::format("--shape gives {}, which contradicts the declared shape {} at dim {}",
                                         shape_to_string(given), shape_to_string(shape), i));
        }
      }
      shape = given;
      has_shape = true;
      unused_shapes.erase(it);
    }
    if (!has_shape) throw Error(where, "has no declared shape; give one with --shape NAME=DIMS");
    state.base_name = sanitized(input.name());
    ir::Value* v = state.add_node("Placeholder", {}, {{"dtype", ops::attr_dtype(*dtype)}, {"shape", ops::attr_shape(shape)}}, 1)
                       ->output(0);
    define(input.name(), v, where);
    graph->inputs().push_back({input.name(), v});
  }
  if (!unused_shapes.empty()) {
    throw Error(source, fmt::format("--shape names '{}', which is not an input of the model", unused_shapes.begin()->first));
  }

  const auto& table = onnx_import::converters();
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& node = g.node(i);
    OnnxNode ctx(state, node, i, opset);
    state.base_name = sanitized(node.name().empty() ? node.op_type() : node.name());
    if (state.base_name.empty()) state.base_name = "node";
    try {
      table.at(op_key(node))(ctx);
    } catch (const Error& e) {
      // Errors of emitted graphc nodes get the ONNX node's identity too.
      bool names_node = e.where() == fmt::format("node '{}' ({})", ctx.display_name(), node.op_type());
      throw Error(fmt::format("{}: node '{}' ({})", source, ctx.display_name(), node.op_type()),
                  names_node ? e.message() : e.what());
    }
    for (size_t o = 0; o < ctx.num_outputs(); ++o) {
      if (ctx.has_output(o) && !state.values.count(node.output(static_cast<int>(o)))) {
        ctx.fail(fmt::format("output {} '{}' is not supported by the importer", o, node.output(static_cast<int>(o))));
      }
    }
  }

  for (const auto& output : g.output()) {
    auto it = state.values.find(output.name());
    if (it == state.values.end()) {
      throw Error(source, fmt::format("graph output '{}' is not produced by any node, initializer or input", output.name()));
    }
    graph->outputs().push_back({output.name(), it->second});
  }
  if (graph->outputs().empty()) throw Error(source, "the graph has no outputs");
  graph->topological_order();
  return graph;
}

std::unique_ptr<ir::Graph> load_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  return import_onnx(read_onnx_model(path), path, options);
}

std::vector<std::string> supported_onnx_ops() {
  std::vector<std::string> out;
  for (const auto& [name, fn] : onnx_import::converters()) out.push_back(name);
  return out;
}

}  // namespace graphc
