// lower_to_module: IR -> Module proto (see lower.h for the steps).
#include "compiler/lower/lower.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "compiler/import/graphdef_import.h"
#include "compiler/lower/memory_plan.h"
#include "compiler/ops/cost_model.h"
#include "compiler/ops/initializers.h"
#include "compiler/ops/op_registry.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc {

namespace {

/// The .gcm format version this compiler writes (runtime/src/module.cc reads it).
constexpr int kModuleFormatVersion = 3;  // 2: values carry a layout; 3: generated kernels return a status

int device_index(const ir::Node* n) {
  const std::string& d = n->device();
  if (d.empty()) return 0;
  int index = 0;
  std::from_chars(d.data() + 4, d.data() + d.size(), index);
  return index;
}

int64_t byte_size(const proto::ValueInfo& v) {
  int64_t n = static_cast<int64_t>(dtype_size(static_cast<DType>(v.dtype())));
  for (int64_t d : v.shape()) n *= d;
  return n;
}

class ModuleBuilder {
 public:
  ModuleBuilder(const ir::Graph& graph, const DeviceSpec& devices, bool mutable_variables)
      : graph_(graph), devices_(devices) {
    module_.set_format_version(kModuleFormatVersion);
    module_.set_mutable_variables(mutable_variables || !graph.assignments().empty());
    last_on_device_.assign(devices.count, -1);
  }

  proto::Module build() {
    std::vector<ir::Node*> order = graph_.topological_order();
    std::unordered_map<const ir::Node*, size_t> topo_index;
    for (ir::Node* n : order) {
      topo_index[n] = topo_index.size();
      add_values(n);
    }
    std::vector<const ir::Node*> steps;
    for (const ir::Node* n : order) {
      if (!lower_source(n)) steps.push_back(n);
    }
    std::stable_sort(steps.begin(), steps.end(), [&](const ir::Node* a, const ir::Node* b) {
      if (a->predicted_start_us() != b->predicted_start_us()) return a->predicted_start_us() < b->predicted_start_us();
      return topo_index[a] < topo_index[b];
    });
    for (const ir::Node* n : steps) add_step(n);
    bind_signature();
    add_state_updates();
    plan_buffers();
    *module_.mutable_graph() = export_graphdef(graph_);
    return std::move(module_);
  }

 private:
  int new_value(const std::string& name, const TensorType& type, Layout layout) {
    int id = module_.values_size();
    auto* info = module_.add_values();
    info->set_name(name);
    info->set_dtype(dtype_to_proto(type.dtype));
    for (int64_t d : type.shape) info->add_shape(d);
    info->set_layout(layout == Layout::channels_last ? proto::LAYOUT_CHANNELS_LAST : proto::LAYOUT_PLAIN);
    return id;
  }

  void add_values(const ir::Node* n) {
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const ir::Value* v = n->output(i);
      ids_[v] = new_value(v->name(), v->type(), v->layout());
    }
  }

  /// Const, Variable and Placeholder nodes produce values, not steps.
  bool lower_source(const ir::Node* n) {
    std::string where = fmt::format("node '{}' ({})", n->name(), n->op());
    if (n->op() == "Const") {
      auto* c = module_.add_constants();
      c->set_value(ids_[n->output(0)]);
      *c->mutable_data() = tensor_to_proto(tensor_from_proto(n->attrs().get_tensor("value"), where));
      return true;
    }
    if (n->op() == "Variable") {
      auto* c = module_.add_constants();
      c->set_value(ids_[n->output(0)]);
      c->set_variable(true);
      *c->mutable_data() = tensor_to_proto(ops::initialize_variable(n->attrs()));
      return true;
    }
    if (n->op() == "Placeholder") {
      bool bound = std::any_of(graph_.inputs().begin(), graph_.inputs().end(),
                               [&](const ir::SignatureValue& s) { return s.value->producer() == n; });
      if (!bound && !n->output(0)->uses().empty()) {
        throw Error::at_node(n->name(), n->op(), "is used but is not a signature input, so nothing can feed it");
      }
      return true;
    }
    return false;
  }

  proto::Step* append_step(int device, double predicted_us) {
    int index = module_.steps_size();
    proto::Step* step = module_.add_steps();
    step->set_device(device);
    step->set_predicted_us(predicted_us);
    if (last_on_device_[device] >= 0) step->add_deps(last_on_device_[device]);
    last_on_device_[device] = index;
    return step;
  }

  /// The value a step on `device` reads for `v`: v itself, or its copy
  /// made by a Transfer step on `device`.
  int value_on_device(const ir::Value* v, int device) {
    int id = ids_.at(v);
    auto producer = producer_step_.find(id);
    if (producer == producer_step_.end() || module_.steps(producer->second).device() == device) return id;
    auto [it, fresh] = transfers_.emplace(std::make_pair(id, device), -1);
    if (!fresh) return it->second;
    TensorType type = v->type();
    int copy = new_value(fmt::format("{}@cpu:{}", v->name(), device), type, v->layout());  // a byte copy
    int from_step = producer->second;
    proto::Step* step = append_step(device, ops::transfer_us(static_cast<double>(byte_size(module_.values(id)))));
    step->set_node(fmt::format("{}@cpu:{}", v->name(), device));
    step->set_op("Transfer");
    step->set_layout_oblivious(true);  // a byte copy
    step->add_inputs(id);
    step->add_outputs(copy);
    step->add_deps(from_step);
    producer_step_[copy] = module_.steps_size() - 1;
    it->second = copy;
    return copy;
  }

  void add_step(const ir::Node* n) {
    int device = device_index(n);
    if (device >= devices_.count) {
      throw Error::at_node(n->name(), n->op(), fmt::format("placed on device {}, the module has {}", n->device(), devices_.count));
    }
    std::vector<int> inputs;
    for (const ir::Value* v : n->inputs()) inputs.push_back(value_on_device(v, device));
    proto::Step* step = append_step(device, n->predicted_us());
    int index = module_.steps_size() - 1;
    step->set_node(n->name());
    step->set_op(n->op());
    for (const auto& [name, value] : n->attrs().values()) (*step->mutable_attr())[name] = value;
    std::unordered_set<int> deps(step->deps().begin(), step->deps().end());
    for (const ir::Node* c : n->control_inputs()) {
      auto before = node_step_.find(c);
      if (before != node_step_.end() && deps.insert(before->second).second) step->add_deps(before->second);
    }
    node_step_[n] = index;
    for (int id : inputs) {
      step->add_inputs(id);
      auto producer = producer_step_.find(id);
      if (producer != producer_step_.end() && deps.insert(producer->second).second) step->add_deps(producer->second);
    }
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      int id = ids_.at(n->output(i));
      step->add_outputs(id);
      producer_step_[id] = index;
    }
    add_in_place(n, step);
    const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
    step->set_layout_oblivious(schema != nullptr && ops::is_layout_oblivious(*schema, *n));
  }

  /// The schema's in_place and may_overwrite pairs whose output and input
  /// have one type.
  static void add_in_place(const ir::Node* n, proto::Step* step) {
    const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
    if (schema == nullptr) return;
    for (const auto* pairs : {&schema->in_place, &schema->may_overwrite}) {
      for (auto [output, input] : *pairs) {
        if (static_cast<size_t>(output) >= n->num_outputs() || static_cast<size_t>(input) >= n->inputs().size() ||
            n->output(output)->type() != n->input(input)->type() ||
            n->output(output)->layout() != n->input(input)->layout()) {
          continue;
        }
        proto::InPlace* pair = step->add_in_place();
        pair->set_output(output);
        pair->set_input(input);
      }
    }
  }

  void bind_signature() {
    for (const auto& s : graph_.inputs()) {
      auto* b = module_.add_inputs();
      b->set_name(s.name);
      b->set_value(ids_.at(s.value));
    }
    for (const auto& s : graph_.outputs()) {
      auto* b = module_.add_outputs();
      b->set_name(s.name);
      b->set_value(ids_.at(s.value));
    }
  }

  /// The in-place contract of an assignment, checked against the writer's
  /// schema: its output must be declared in place of the Variable input.
  void add_state_updates() {
    for (const ir::Assignment& a : graph_.assignments()) {
      const ir::Node* writer = a.value->producer();
      const ops::OpSchema* schema = ops::OpRegistry::global().find(writer->op());
      bool in_place = false;
      for (auto [output, input] : schema != nullptr ? schema->in_place : std::vector<std::pair<int, int>>{}) {
        in_place |= writer->output(output) == a.value && writer->input(input) == a.variable->output(0);
      }
      if (!in_place) {
        throw Error::at_node(a.variable->name(), a.variable->op(),
                             fmt::format("is assigned '{}', but {} ('{}') does not update it in place (assign the "
                                         "output of an update op such as SGDUpdate that reads the Variable)",
                                         a.value->name(), writer->op(), writer->name()));
      }
      auto* update = module_.add_state_updates();
      update->set_state(ids_.at(a.variable->output(0)));
      update->set_value(ids_.at(a.value));
    }
  }

  void plan_buffers() {
    // Signature outputs keep storage of their own; assigned values live in
    // their Variable's storage.
    std::unordered_set<int> own_storage;
    for (const auto& b : module_.outputs()) own_storage.insert(b.value());
    for (const auto& u : module_.state_updates()) own_storage.insert(u.value());
    std::vector<std::vector<int>> deps;
    std::map<int, BufferLife> lives;  // by value id
    for (int s = 0; s < module_.steps_size(); ++s) {
      const proto::Step& step = module_.steps(s);
      deps.emplace_back(step.deps().begin(), step.deps().end());
      for (int id : step.outputs()) {
        if (own_storage.count(id)) continue;
        lives[id] = BufferLife{id, step.device(), 0, byte_size(module_.values(id)), s, {}, {}};
      }
      for (const proto::InPlace& pair : step.in_place()) {
        auto it = lives.find(step.outputs(pair.output()));
        if (it != lives.end()) it->second.in_place_of.push_back(step.inputs(pair.input()));
      }
      for (int id : step.inputs()) {
        auto it = lives.find(id);
        if (it != lives.end()) it->second.use_steps.push_back(s);
      }
    }
    std::vector<BufferLife> buffers;
    for (auto& [id, life] : lives) buffers.push_back(std::move(life));
    std::vector<std::string> names;
    for (const auto& v : module_.values()) names.push_back(v.name());
    MemoryPlan plan = plan_memory(std::move(buffers), devices_.count, StepDag(deps), names);
    for (const auto& b : plan.buffers) {
      auto* out = module_.add_buffers();
      out->set_value(b.value);
      out->set_device(b.device);
      out->set_offset(b.offset);
      out->set_size(b.size);
    }
    for (int d = 0; d < devices_.count; ++d) {
      auto* device = module_.add_devices();
      device->set_cores(devices_.cores_per_device);
      device->set_arena_bytes(plan.arena_bytes[d]);
    }
    module_.mutable_memory()->set_lower_bound_bytes(plan.lower_bound_bytes);
    module_.mutable_memory()->set_naive_bytes(plan.naive_bytes);
    module_.mutable_memory()->set_heuristic(plan.heuristic);
    module_.mutable_memory()->set_in_place_buffers(plan.in_place_buffers);
  }

  const ir::Graph& graph_;
  DeviceSpec devices_;
  proto::Module module_;
  std::unordered_map<const ir::Value*, int> ids_;
  std::unordered_map<int, int> producer_step_;           // value id -> step index
  std::unordered_map<const ir::Node*, int> node_step_;   // node -> step index
  std::map<std::pair<int, int>, int> transfers_;         // (value id, device) -> copy's value id
  std::vector<int> last_on_device_;
};

}  // namespace

proto::Module lower_to_module(const ir::Graph& graph, const DeviceSpec& devices, bool mutable_variables) {
  return ModuleBuilder(graph, devices, mutable_variables).build();
}

}  // namespace graphc
