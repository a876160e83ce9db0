// Module loading: checks a .gcm for consistency, decodes its constants and
// creates every step's kernel once.
#include "graphc/module.h"

#include <fmt/format.h>


#include "graphc/error.h"
#include "runtime/core/file_io.h"
#include "runtime/core/tensor_proto.h"
#include "runtime/src/module_impl.h"

namespace graphc {

namespace {

constexpr int kFormatVersion = 1;

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
  impl->constants.resize(n);
  impl->is_constant.assign(n, false);
  for (int id = 0; id < n; ++id) {
    const auto& v = m.values(id);
    std::string where = fmt::format("value '{}'", v.name());
    TensorType& t = impl->value_types[id];
    t.dtype = dtype_from_proto(v.dtype(), where);
    t.shape.assign(v.shape().begin(), v.shape().end());
    for (int64_t d : t.shape) {
      if (d < 0) throw Error(where, fmt::format("shape {} has a negative dim", shape_to_string(t.shape)));
    }
  }
  for (const auto& c : m.constants()) {
    std::string where = fmt::format("constant {}", c.value());
    checker.define(c.value(), where);
    where = fmt::format("constant '{}'", m.values(c.value()).name());
    Tensor value = tensor_from_proto(c.data(), where);
    if (value.type() != impl->value_types[c.value()]) {
      throw Error(where, fmt::format("data is {}, the value is declared {}", value.type().to_string(),
                                     impl->value_types[c.value()].to_string()));
    }
    impl->constants[c.value()] = std::move(value);
    impl->is_constant[c.value()] = true;
  }
  for (const auto& b : m.inputs()) {
    checker.define(b.value(), fmt::format("input '{}'", b.name()));
    impl->inputs.push_back({b.name(), impl->value_types[b.value()]});
    impl->input_ids.push_back(b.value());
  }
  for (const auto& s : m.steps()) {
    std::string where = fmt::format("node '{}' ({})", s.node(), s.op());
    LoadedStep step{s.node(), s.op(), nullptr, {s.inputs().begin(), s.inputs().end()},
                    {s.outputs().begin(), s.outputs().end()}};
    std::vector<TensorType> in_types, out_types;
    for (int id : step.inputs) {
      checker.use(id, where);
      in_types.push_back(impl->value_types[id]);
    }
    for (int id : step.outputs) {
      checker.define(id, where);
      out_types.push_back(impl->value_types[id]);
    }
    AttrMap attrs(s.node(), s.op(), {s.attr().begin(), s.attr().end()});
    step.kernel = KernelRegistry::reference().create(KernelSpec{attrs, in_types, out_types});
    impl->steps.push_back(std::move(step));
  }
  for (const auto& b : m.outputs()) {
    checker.use(b.value(), fmt::format("output '{}'", b.name()));
    impl->outputs.push_back({b.name(), impl->value_types[b.value()]});
    impl->output_ids.push_back(b.value());
  }
  impl->proto = std::move(m);
  return std::shared_ptr<const Module>(new Module(std::move(impl)));
}

}  // namespace graphc
