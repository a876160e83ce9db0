// KernelRegistry: op name -> kernel factory.
#include <fmt/format.h>

#include "graphc/error.h"
#include "runtime/core/kernel.h"
#include "runtime/kernels/reference/reference_kernels.h"

namespace graphc {

const KernelRegistry& KernelRegistry::reference() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_reference_kernels(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::add(const std::string& op, KernelFactory factory) {
  if (!factories_.emplace(op, std::move(factory)).second) {
    throw Error("", fmt::format("kernel for op '{}' registered twice", op));
  }
}

const KernelFactory* KernelRegistry::find(const std::string& op) const {
  auto it = factories_.find(op);
  return it == factories_.end() ? nullptr : &it->second;
}

std::unique_ptr<Kernel> KernelRegistry::create(const KernelSpec& spec) const {
  const KernelFactory* factory = find(spec.op());
  if (factory == nullptr) throw Error::at_node(spec.node(), spec.op(), "no kernel is registered for this op");
  return (*factory)(spec);
}

std::vector<std::string> KernelRegistry::ops() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

}  // namespace graphc
