// Session: per-caller buffers and the sequential executor.
//
// Every value gets its buffer when the session is created (constants share
// the module's read-only storage), and each step's input and output pointer
// lists are precomputed, so run() is a loop over kernels that allocates
// nothing.
#include "graphc/session.h"

#include <fmt/format.h>

#include <cstring>

#include "graphc/error.h"
#include "runtime/src/module_impl.h"

namespace graphc {

struct Session::State {
  std::shared_ptr<const Module> module;
  std::vector<Tensor> values;
  std::vector<std::vector<const Tensor*>> step_inputs;
  std::vector<std::vector<Tensor*>> step_outputs;

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

Session::Session(std::shared_ptr<const Module> module) : state_(std::make_unique<State>()) {
  const Module::Impl& m = module->impl();
  state_->module = std::move(module);
  auto& values = state_->values;
  values.resize(m.value_types.size());
  for (size_t id = 0; id < values.size(); ++id) {
    values[id] = m.is_constant[id] ? m.constants[id] : Tensor(m.value_types[id]);
  }
  for (const auto& step : m.steps) {
    auto& in = state_->step_inputs.emplace_back();
    auto& out = state_->step_outputs.emplace_back();
    for (int id : step.inputs) in.push_back(&values[id]);
    for (int id : step.outputs) out.push_back(&values[id]);
  }
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const Module& Session::module() const { return *state_->module; }

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

void Session::run() {
  const Module::Impl& m = state_->module->impl();
  for (size_t i = 0; i < m.steps.size(); ++i) {
    const LoadedStep& step = m.steps[i];
    try {
      step.kernel->run(state_->step_inputs[i], state_->step_outputs[i]);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error::at_node(step.node, step.op, e.what());
    }
  }
}

const Tensor& Session::output(std::string_view name) const {
  const Module::Impl& m = state_->module->impl();
  return state_->values[state_->find(m.outputs, m.output_ids, name, "output")];
}

}  // namespace graphc
