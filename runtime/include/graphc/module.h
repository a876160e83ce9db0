// A compiled module (.gcm) loaded into memory, ready to run.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

namespace proto {
class Module;
}

/// A named input or output of a module.
struct TensorInfo {
  std::string name;
  TensorType type;
};

/// An immutable, loaded module: its signature, constants and the kernels of
/// every step, created once at load. A Module is shared by any number of
/// Sessions, including from several threads.
class Module {
 public:
  /// Loads a .gcm file; throws graphc::Error naming the file on bad data.
  static std::shared_ptr<const Module> load(const std::filesystem::path& path);
  /// Builds from an in-memory module proto (what the compiler produces).
  static std::shared_ptr<const Module> from_proto(proto::Module module);

  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Module(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace graphc
