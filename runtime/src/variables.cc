// VariableStore (see graphc/variables.h).
#include "graphc/variables.h"

#include <fmt/format.h>

#include <cstring>

#include "graphc/error.h"

namespace graphc {

const Tensor& VariableStore::bind(const std::string& name, const Tensor& initial) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) return tensors_.emplace(name, initial.clone()).first->second;
  if (it->second.type() != initial.type()) {
    throw Error(fmt::format("variable '{}'", name), fmt::format("is {} in the shared store but {} in this module",
                                                                it->second.type().to_string(),
                                                                initial.type().to_string()));
  }
  return it->second;
}

const Tensor* VariableStore::find(std::string_view name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::vector<std::string> VariableStore::names() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : tensors_) names.push_back(name);
  return names;
}

void VariableStore::assign(std::string_view name, const Tensor& value) {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error(fmt::format("variable '{}'", name), "is not in the store");
  if (it->second.type() != value.type()) {
    throw Error(fmt::format("variable '{}'", name),
                fmt::format("is {}, the new value {}", it->second.type().to_string(), value.type().to_string()));
  }
  // The tensor's storage is shared with the sessions bound to it: copy into
  // it, never replace it.
  std::memcpy(it->second.raw_data(), value.raw_data(), value.byte_size());
}

}  // namespace graphc
