// VariableStore: the trainable state of a model (its Variables and the
// optimizer's slots), by name, shared by every session that trains or runs it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

/// Sessions of modules with mutable Variables (training modules and their
/// inference entry points) read and update their Variables here instead of
/// in the module's read-only constants. Binding the same store to several
/// sessions shares the weights between them: a training step's update is
/// what the next evaluation reads. Not synchronised: do not run sessions
/// sharing a store at the same time.
class VariableStore {
 public:
  /// The tensor named `name`, created as a copy of `initial` on first use.
  /// Throws graphc::Error when it exists with another type.
  const Tensor& bind(const std::string& name, const Tensor& initial);

  /// Null when absent.
  const Tensor* find(std::string_view name) const;
  /// Every name, sorted.
  std::vector<std::string> names() const;
  size_t size() const { return tensors_.size(); }

  /// Copies `value` into the existing tensor `name` (same type), e.g. from a
  /// checkpoint; throws graphc::Error naming it otherwise.
  void assign(std::string_view name, const Tensor& value);

 private:
  std::map<std::string, Tensor, std::less<>> tensors_;
};

}  // namespace graphc
