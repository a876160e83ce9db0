// Session: buffers laid out by the memory plan, and the executor.
//
// Planned values are views into one arena per device (offsets from the
// module); constants share the module's read-only storage; mutable Variables
// share their VariableStore tensor, and a state update's value that same
// tensor (the update op writes in place); signature inputs and outputs, and
// any value without a planned buffer, own their storage.
// Each device has a scratch region, laid out at load (Module::Impl,
// runtime/core/scratch_plan.h): the session owns its own, so sessions on
// different threads never share scratch. Each step's argument lists are
// built once and its kernel bound to them and to its scratch block once
// (Kernel::bind), so run() only runs kernels.
#include "graphc/session.h"

#include <fmt/format.h>

#include <cstring>

#include "graphc/error.h"
#include "runtime/src/executor.h"
#include "runtime/src/module_impl.h"

namespace graphc {

struct Session::State {
  std::shared_ptr<const Module> module;
  std::shared_ptr<VariableStore> variables;
  std::vector<Tensor> arenas;   // per device, bytes
  std::vector<Tensor> scratch;  // per device, bytes
  std::vector<Tensor> values;
  std::vector<std::vector<const Tensor*>> step_inputs;
  std::vector<std::vector<Tensor*>> step_outputs;
  std::vector<std::unique_ptr<BoundKernel>> bound;  // per step, null for kernels that need no binding
  std::unique_ptr<Executor> executor;

  int find(const std::vector<TensorInfo>& infos, const std::vector<int>& ids, std::string_view name,
           const char* kind) const {
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].name == name) return ids[i];
    }
    std::vector<std::string_view> names;
    for (const auto& info : infos) names.push_back(info.name);
    throw Error("session", fmt::format("the module has no {} named '{}' (its {}s: {})", kind, name, kind,
                                       fmt::join(names, ", ")));
  }
};

Session::Session(std::shared_ptr<const Module> module, SessionOptions options) : state_(std::make_unique<State>()) {
  const Module::Impl& m = module->impl();
  state_->module = std::move(module);
  if (!m.variable_ids.empty()) {
    state_->variables = options.variables ? options.variables : std::make_shared<VariableStore>();
  }
  for (int64_t bytes : m.arena_bytes) state_->arenas.emplace_back(DType::i8, Shape{bytes});
  for (int64_t bytes : m.scratch_bytes) state_->scratch.emplace_back(DType::i8, Shape{bytes});
  auto& values = state_->values;
  values.resize(m.value_types.size());
  for (size_t id = 0; id < values.size(); ++id) {
    const ValuePlacement& p = m.placements[id];
    const TensorType& type = m.value_types[id];
    switch (p.kind) {
      case ValuePlacement::Kind::constant: values[id] = m.constants[id]; break;
      case ValuePlacement::Kind::arena: {
        auto* base = static_cast<std::byte*>(state_->arenas[p.device].raw_data());
        values[id] = Tensor::view(type.dtype, type.shape, base + p.offset);
        break;
      }
      case ValuePlacement::Kind::own: values[id] = Tensor(type); break;
      case ValuePlacement::Kind::state: break;  // below, once the Variables are bound
    }
  }
  for (int id : m.variable_ids) values[id] = state_->variables->bind(m.proto.values(id).name(), m.constants[id]);
  for (size_t id = 0; id < values.size(); ++id) {
    if (m.state_of[id] >= 0) values[id] = values[m.state_of[id]];
  }
  for (const auto& step : m.steps) {
    auto& in = state_->step_inputs.emplace_back();
    auto& out = state_->step_outputs.emplace_back();
    for (int id : step.inputs) in.push_back(&values[id]);
    for (int id : step.outputs) out.push_back(&values[id]);
  }
  for (size_t s = 0; s < m.steps.size(); ++s) {
    const LoadedStep& step = m.steps[s];
    std::byte* scratch = nullptr;
    if (step.scratch_bytes > 0) {
      scratch = static_cast<std::byte*>(state_->scratch[step.device].raw_data()) + step.scratch_offset;
    }
    state_->bound.push_back(step.kernel->bind({state_->step_inputs[s], state_->step_outputs[s], scratch}));
  }
  state_->executor = std::make_unique<Executor>(m, state_->step_inputs, state_->step_outputs, state_->bound,
                                                ExecutorOptions{options.poison_freed_buffers, options.check_numerics});
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const Module& Session::module() const { return *state_->module; }

const std::shared_ptr<VariableStore>& Session::variables() const { return state_->variables; }

Tensor& Session::input(std::string_view name) {
  const Module::Impl& m = state_->module->impl();
  return state_->values[state_->find(m.inputs, m.input_ids, name, "input")];
}

void Session::set_input(std::string_view name, const Tensor& value) {
  Tensor& slot = input(name);
  if (value.type() != slot.type()) {
    throw Error(fmt::format("input '{}'", name),
                fmt::format("expected {}, got {}", slot.type().to_string(), value.type().to_string()));
  }
  if (slot.byte_size() != 0) std::memcpy(slot.raw_data(), value.raw_data(), slot.byte_size());
}

void Session::run() { state_->executor->run(); }

const Tensor& Session::output(std::string_view name) const {
  const Module::Impl& m = state_->module->impl();
  return state_->values[state_->find(m.outputs, m.output_ids, name, "output")];
}

}  // namespace graphc
