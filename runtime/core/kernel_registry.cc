// KernelRegistry: op name -> kernel factory.
#include <fmt/format.h>

#include <algorithm>

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

bool KernelSpec::all_plain() const {
  auto plain = [](Layout l) { return l == Layout::plain; };
  return std::all_of(input_layouts.begin(), input_layouts.end(), plain) &&
         std::all_of(output_layouts.begin(), output_layouts.end(), plain);
}

void KernelRegistry::add(const std::string& op, KernelFactory factory, bool reads_layouts) {
  if (!factories_.emplace(op, Entry{std::move(factory), reads_layouts}).second) {
    throw Error("", fmt::format("kernel for op '{}' registered twice", op));
  }
}

const KernelFactory* KernelRegistry::find(const std::string& op) const {
  auto it = factories_.find(op);
  return it == factories_.end() ? nullptr : &it->second.factory;
}

bool KernelRegistry::reads_layouts(const std::string& op) const {
  auto it = factories_.find(op);
  return it != factories_.end() && it->second.reads_layouts;
}

std::unique_ptr<Kernel> KernelRegistry::create(const KernelSpec& spec) const {
  const KernelFactory* factory = find(spec.op());
  if (factory == nullptr) throw Error::at_node(spec.node(), spec.op(), "no kernel is registered for this op");
  return (*factory)(spec);
}

std::vector<std::string> KernelRegistry::ops() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : factories_) names.push_back(name);
  return names;
}

}  // namespace graphc
