// Module loading: checks a .gcm for consistency, decodes its constants and
// creates every step's kernel once.
#include "graphc/module.h"

#include <fmt/format.h>

#include <algorithm>


#include "graphc/error.h"
#include "runtime/core/file_io.h"
#include "runtime/core/memory_plan_check.h"
#include "runtime/core/scratch_plan.h"
#include "runtime/core/tensor_proto.h"
#include "runtime/src/kernel_selection.h"
#include "runtime/src/module_impl.h"

namespace graphc {

namespace {

// 2: values carry a layout (a version-1 runtime would misread them); 3: generated
// kernels return the first row with a bad label (a version-2 runtime would read
// garbage as that row).
constexpr int kFormatVersion = 3;

/// Value ids are indices into module.values; every id a module mentions is
/// checked before use.
class ModuleChecker {
 public:
  explicit ModuleChecker(const proto::Module& m) : m_(m), defined_(m.values_size(), false) {}

  void check_id(int id, const std::string& where) const {
    if (id < 0 || id >= m_.values_size()) {
      throw Error(where, fmt::format("refers to value {} but the module has {} values", id, m_.values_size()));
    }
  }
  void define(int id, const std::string& where) {
    check_id(id, where);
    if (defined_[id]) throw Error(where, fmt::format("value '{}' is defined twice", m_.values(id).name()));
    defined_[id] = true;
  }
  void use(int id, const std::string& where) const {
    check_id(id, where);
    if (!defined_[id]) {
      throw Error(where, fmt::format("reads value '{}' before any step defines it", m_.values(id).name()));
    }
  }

 private:
  const proto::Module& m_;
  std::vector<bool> defined_;
};

/// A step predicted to take less than this runs inline on the thread that
/// makes it ready instead of waking its device's worker.
constexpr double kInlineStepUs = 1.0;

void load_devices(const proto::Module& m, Module::Impl& impl) {
  for (const auto& d : m.devices()) {
    if (d.cores() < 1 || d.arena_bytes() < 0) {
      throw Error("module", fmt::format("device {} has {} cores and a {}-byte arena", impl.device_cores.size(),
                                        d.cores(), d.arena_bytes()));
    }
    impl.device_cores.push_back(d.cores());
    impl.arena_bytes.push_back(d.arena_bytes());
  }
  if (impl.device_cores.empty()) {  // a module that predates devices: one device
    impl.device_cores.push_back(1);
    impl.arena_bytes.push_back(0);
  }
}

void check_schedule(const proto::Step& s, int index, const Module::Impl& impl, const std::string& where) {
  if (s.device() < 0 || s.device() >= static_cast<int>(impl.device_cores.size())) {
    throw Error(where, fmt::format("runs on device {}, the module has {}", s.device(), impl.device_cores.size()));
  }
  for (int d : s.deps()) {
    if (d < 0 || d >= index) throw Error(where, fmt::format("depends on step {}, which is not listed before it", d));
  }
}

/// Successor lists, and the dependencies a step's inputs need: a step must
/// wait for the producer of every value it reads.
void link_steps(const proto::Module& m, Module::Impl& impl) {
  std::vector<int> producer(m.values_size(), -1);
  for (size_t i = 0; i < impl.steps.size(); ++i) {
    LoadedStep& step = impl.steps[i];
    const auto& deps = m.steps(static_cast<int>(i)).deps();
    for (int id : step.inputs) {
      if (producer[id] >= 0 && std::find(deps.begin(), deps.end(), producer[id]) == deps.end()) {
        throw Error(fmt::format("node '{}' ({})", step.node, step.op),
                    fmt::format("reads '{}' but does not depend on the step that writes it", m.values(id).name()));
      }
    }
    for (int d : deps) impl.steps[d].successors.push_back(static_cast<int>(i));
    if (deps.empty()) impl.initial_steps.push_back(static_cast<int>(i));
    for (int id : step.outputs) producer[id] = static_cast<int>(i);
  }
}

/// A step's in-place declarations as (output, input) value ids, checked: the
/// indices exist and the two values have one type.
std::vector<std::pair<int, int>> in_place_pairs(const proto::Step& s, const LoadedStep& step,
                                                const Module::Impl& impl) {
  std::vector<std::pair<int, int>> pairs;
  for (const proto::InPlace& pair : s.in_place()) {
    if (pair.output() < 0 || pair.output() >= static_cast<int>(step.outputs.size()) || pair.input() < 0 ||
        pair.input() >= static_cast<int>(step.inputs.size()) ||
        impl.value_types[step.outputs[pair.output()]] != impl.value_types[step.inputs[pair.input()]] ||
        impl.value_layouts[step.outputs[pair.output()]] != impl.value_layouts[step.inputs[pair.input()]]) {
      throw Error(fmt::format("node '{}' ({})", step.node, step.op),
                  fmt::format("declares output {} in place of input {}, which are not an output and an input of "
                              "one type and layout",
                              pair.output(), pair.input()));
    }
    pairs.emplace_back(step.outputs[pair.output()], step.inputs[pair.input()]);
  }
  return pairs;
}

Layout layout_from_proto(const proto::ValueInfo& v, const TensorType& type, const std::string& where) {
  Layout layout;
  switch (v.layout()) {
    case proto::LAYOUT_PLAIN:
      return Layout::plain;
    case proto::LAYOUT_CHANNELS_LAST:
      layout = Layout::channels_last;
      break;
    default:
      throw Error(where, fmt::format("layout {} is not one this runtime knows", static_cast<int>(v.layout())));
  }
  if (!layout_fits(layout, type.shape)) {
    throw Error(where, fmt::format("is stored {} but has rank {}", layout_name(layout), type.shape.size()));
  }
  return layout;
}

/// Users, files and the loader see values only plain.
void expect_plain(const Module::Impl& impl, int id, const std::string& where) {
  if (impl.value_layouts[id] != Layout::plain) {
    throw Error(where, fmt::format("is stored {}; signature values and constants must be plain",
                                   layout_name(impl.value_layouts[id])));
  }
}

/// Whether the operands of `spec` of its output's shape share one layout
/// (scalars read the same in any layout), so that a layout-oblivious step
/// can run its kernel as is.
bool shares_one_layout(const KernelSpec& spec) {
  if (spec.outputs.empty()) return false;
  const Shape& shape = spec.outputs[0].shape;
  Layout layout = spec.output_layout(0);
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    if (spec.outputs[i].shape != shape || spec.output_layout(i) != layout) return false;
  }
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (num_elements(spec.inputs[i].shape) == 1) continue;
    if (spec.inputs[i].shape != shape || spec.input_layout(i) != layout) return false;
  }
  return true;
}

/// Arena offsets from the memory plan, re-checked for safety: a corrupt or
/// hand-edited module must not make two live values share memory, except
/// where a step declares an output in place of an input (Step.in_place) and
/// check_memory_plan accepts the reuse.
void place_values(const proto::Module& m, Module::Impl& impl, const StepDag& dag) {
  impl.placements.assign(m.values_size(), {});
  for (int id = 0; id < m.values_size(); ++id) {
    if (impl.is_constant[id]) impl.placements[id].kind = ValuePlacement::Kind::constant;
  }
  for (int id : impl.variable_ids) impl.placements[id].kind = ValuePlacement::Kind::state;
  std::vector<BufferLife> lives;
  std::vector<int> producer(m.values_size(), -1);
  for (size_t i = 0; i < impl.steps.size(); ++i) {
    for (int id : impl.steps[i].outputs) producer[id] = static_cast<int>(i);
  }
  std::vector<int> life_of(m.values_size(), -1);
  for (const auto& b : m.buffers()) {
    std::string where = fmt::format("buffer of value {}", b.value());
    if (b.value() < 0 || b.value() >= m.values_size() || producer[b.value()] < 0 || life_of[b.value()] >= 0) {
      throw Error(where, "does not name a value written by a step, or names one twice");
    }
    const TensorType& type = impl.value_types[b.value()];
    int64_t needed = num_elements(type.shape) * static_cast<int64_t>(dtype_size(type.dtype));
    if (b.size() < needed || b.offset() % 64 != 0) {
      throw Error(where, fmt::format("is {} bytes at offset {}; the value needs {} bytes, 64-byte aligned", b.size(),
                                     b.offset(), needed));
    }
    if (b.device() != impl.steps[producer[b.value()]].device) {
      throw Error(where, "lives on another device than the step that writes it");
    }
    life_of[b.value()] = static_cast<int>(lives.size());
    lives.push_back({b.value(), b.device(), b.offset(), b.size(), producer[b.value()], {}, {}});
    impl.placements[b.value()] = {ValuePlacement::Kind::arena, b.device(), b.offset()};
  }
  for (size_t i = 0; i < impl.steps.size(); ++i) {
    for (int id : impl.steps[i].inputs) {
      if (life_of[id] >= 0) lives[life_of[id]].use_steps.push_back(static_cast<int>(i));
    }
    for (auto [out, in] : in_place_pairs(m.steps(static_cast<int>(i)), impl.steps[i], impl)) {
      if (life_of[out] >= 0) lives[life_of[out]].in_place_of.push_back(in);
    }
  }
  std::vector<std::string> names;
  for (const auto& v : m.values()) names.push_back(v.name());
  check_memory_plan(lives, impl.arena_bytes, dag, names);
}

/// A state update's value is written into its Variable's storage, so the
/// step writing it must run after every other reader of the Variable, and
/// nothing may read the Variable's old value after it.
void load_state_updates(const proto::Module& m, Module::Impl& impl, const StepDag& dag) {
  impl.state_of.assign(m.values_size(), -1);
  if (m.state_updates_size() == 0) return;
  std::vector<int> writer(m.values_size(), -1);
  for (size_t i = 0; i < impl.steps.size(); ++i) {
    for (int id : impl.steps[i].outputs) writer[id] = static_cast<int>(i);
  }
  std::vector<bool> updated(m.values_size(), false);
  for (const auto& u : m.state_updates()) {
    std::string where = fmt::format("state update {} <- {}", u.state(), u.value());
    if (u.state() < 0 || u.state() >= m.values_size() || u.value() < 0 || u.value() >= m.values_size() ||
        std::find(impl.variable_ids.begin(), impl.variable_ids.end(), u.state()) == impl.variable_ids.end()) {
      throw Error(where, "does not name a mutable Variable and a value of the module");
    }
    where = fmt::format("state update of '{}'", m.values(u.state()).name());
    if (updated[u.state()]) throw Error(where, "the Variable is updated twice");
    updated[u.state()] = true;
    if (writer[u.value()] < 0 || impl.placements[u.value()].kind != ValuePlacement::Kind::own ||
        impl.value_types[u.value()] != impl.value_types[u.state()]) {
      throw Error(where, fmt::format("'{}' is not a value of the Variable's type written by a step, with no buffer "
                                     "of its own",
                                     m.values(u.value()).name()));
    }
    int w = writer[u.value()];
    for (size_t i = 0; i < impl.steps.size(); ++i) {
      const LoadedStep& reader = impl.steps[i];
      bool reads = std::find(reader.inputs.begin(), reader.inputs.end(), u.state()) != reader.inputs.end();
      if (reads && static_cast<int>(i) != w && !dag.happens_before(static_cast<int>(i), w)) {
        throw Error(where, fmt::format("node '{}' reads the Variable but may run after '{}', which overwrites it",
                                       reader.node, impl.steps[w].node));
      }
    }
    impl.state_of[u.value()] = u.state();
    impl.placements[u.value()].kind = ValuePlacement::Kind::state;
  }
}

/// Each step's block in its device's scratch region, from the scratch its
/// kernel asks for (runtime/core/scratch_plan.h), and the regions' sizes.
void plan_step_scratch(Module::Impl& impl, const StepDag& dag) {
  std::vector<StepScratch> scratch;
  std::vector<std::string> names;
  for (const LoadedStep& step : impl.steps) {
    scratch.push_back({step.device, static_cast<int64_t>(step.kernel->scratch_bytes()), 0});
    names.push_back(step.node);
  }
  impl.scratch_bytes = plan_scratch(scratch, static_cast<int>(impl.device_cores.size()), dag);
  check_scratch_plan(scratch, impl.scratch_bytes, dag, names);
  for (size_t i = 0; i < impl.steps.size(); ++i) {
    impl.steps[i].scratch_offset = scratch[i].offset;
    impl.steps[i].scratch_bytes = scratch[i].bytes;
  }
}

}  // namespace

Module::Module(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Module::~Module() = default;

const std::vector<TensorInfo>& Module::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Module::outputs() const { return impl_->outputs; }

std::shared_ptr<const Module> Module::load(const std::filesystem::path& path) {
  proto::Module m;
  if (!m.ParseFromString(read_file(path))) throw Error(path.string(), "not a graphc module (.gcm): the file does not parse");
  try {
    return from_proto(std::move(m));
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.where(), e.message());
  }
}

std::shared_ptr<const Module> Module::from_proto(proto::Module m) {
  if (m.format_version() != kFormatVersion) {
    throw Error("module", fmt::format("format version {} is not supported (this runtime reads version {}); "
                                      "recompile the model",
                                      m.format_version(), kFormatVersion));
  }
  auto impl = std::make_unique<Impl>();
  ModuleChecker checker(m);
  const int n = m.values_size();
  impl->value_types.resize(n);
  impl->value_layouts.resize(n);
  impl->constants.resize(n);
  impl->is_constant.assign(n, false);
  for (int id = 0; id < n; ++id) {
    const auto& v = m.values(id);
    std::string where = fmt::format("value '{}'", v.name());
    TensorType& t = impl->value_types[id];
    t.dtype = dtype_from_proto(v.dtype(), where);
    t.shape.assign(v.shape().begin(), v.shape().end());
    auto bytes = static_cast<int64_t>(dtype_size(t.dtype));
    for (int64_t d : t.shape) {
      if (d < 0) throw Error(where, fmt::format("shape {} has a negative dim", shape_to_string(t.shape)));
      if (__builtin_mul_overflow(bytes, d, &bytes)) {
        throw Error(where, fmt::format("shape {} is too large: its byte count overflows 64 bits", shape_to_string(t.shape)));
      }
    }
    impl->value_layouts[id] = layout_from_proto(v, t, where);
  }
  for (const auto& c : m.constants()) {
    std::string where = fmt::format("constant {}", c.value());
    checker.define(c.value(), where);
    where = fmt::format("constant '{}'", m.values(c.value()).name());
    expect_plain(*impl, c.value(), where);
    Tensor value = tensor_from_proto(c.data(), where);
    if (value.type() != impl->value_types[c.value()]) {
      throw Error(where, fmt::format("data is {}, the value is declared {}", value.type().to_string(),
                                     impl->value_types[c.value()].to_string()));
    }
    impl->constants[c.value()] = std::move(value);
    // A mutable Variable changes between runs: kernels must not prepare it
    // once (oneDNN's weight reorders), so it is state, not a constant.
    if (c.variable() && m.mutable_variables()) {
      impl->variable_ids.push_back(c.value());
    } else {
      impl->is_constant[c.value()] = true;
    }
  }
  for (const auto& b : m.inputs()) {
    checker.define(b.value(), fmt::format("input '{}'", b.name()));
    expect_plain(*impl, b.value(), fmt::format("input '{}'", b.name()));
    impl->inputs.push_back({b.name(), impl->value_types[b.value()]});
    impl->input_ids.push_back(b.value());
  }
  load_devices(m, *impl);
  GeneratedCode generated;
  if (m.has_jit()) {
    impl->generated_code = JitLibrary::load(m.jit(), generated.why_not);
    generated.library = impl->generated_code.get();
  } else {
    generated.why_not = "the module has no generated code (compiled without it)";
  }
  for (const auto& s : m.steps()) {
    std::string where = fmt::format("node '{}' ({})", s.node(), s.op());
    check_schedule(s, static_cast<int>(impl->steps.size()), *impl, where);
    LoadedStep step;
    step.node = s.node();
    step.op = s.op();
    step.inputs.assign(s.inputs().begin(), s.inputs().end());
    step.outputs.assign(s.outputs().begin(), s.outputs().end());
    step.device = s.device();
    step.dependency_count = s.deps_size();
    step.inline_ok = s.predicted_us() < kInlineStepUs;
    std::vector<TensorType> in_types, out_types;
    std::vector<Layout> in_layouts, out_layouts;
    // A loaded module's constants and Variables never change (sessions share
    // them read-only), so kernels may prepare them once.
    std::vector<const Tensor*> constants;
    for (int id : step.inputs) {
      checker.use(id, where);
      in_types.push_back(impl->value_types[id]);
      in_layouts.push_back(impl->value_layouts[id]);
      constants.push_back(impl->is_constant[id] ? &impl->constants[id] : nullptr);
    }
    for (int id : step.outputs) {
      checker.define(id, where);
      out_types.push_back(impl->value_types[id]);
      out_layouts.push_back(impl->value_layouts[id]);
    }
    AttrMap attrs(s.node(), s.op(), {s.attr().begin(), s.attr().end()});
    KernelSpec spec{attrs, in_types, out_types, constants, in_layouts, out_layouts};
    if (s.layout_oblivious() && shares_one_layout(spec)) spec.input_layouts = spec.output_layouts = {};
    SelectedKernel selected = select_kernel(spec, s.kernel(), generated);
    step.kernel = std::move(selected.kernel);
    step.backend = std::move(selected.backend);
    step.fallback_reason = std::move(selected.fallback_reason);
    impl->steps.push_back(std::move(step));
  }
  for (const auto& b : m.outputs()) {
    checker.use(b.value(), fmt::format("output '{}'", b.name()));
    expect_plain(*impl, b.value(), fmt::format("output '{}'", b.name()));
    impl->outputs.push_back({b.name(), impl->value_types[b.value()]});
    impl->output_ids.push_back(b.value());
  }
  link_steps(m, *impl);
  std::vector<std::vector<int>> deps;
  for (const auto& s : m.steps()) deps.emplace_back(s.deps().begin(), s.deps().end());
  const StepDag dag(deps);
  place_values(m, *impl, dag);
  load_state_updates(m, *impl, dag);
  plan_step_scratch(*impl, dag);
  impl->proto = std::move(m);
  return std::shared_ptr<const Module>(new Module(std::move(impl)));
}

}  // namespace graphc
