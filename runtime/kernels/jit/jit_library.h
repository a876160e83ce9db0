// JitLibrary: a module's generated kernels (proto::JitCode), linked into the
// process with LLVM's ORC JIT when the module loads. No optimisation
// happens here: the code was optimised when the module was compiled.
#pragma once

#include <memory>
#include <string>

#include "proto/module.pb.h"

namespace graphc {

/// The signature of a generated FusedElementwise kernel
/// (compiler/codegen/fused_function.h): -1, or the first row of the range
/// with a label out of range.
using FusedElementwiseFn = int64_t (*)(const void* const* inputs, float* const* outputs, int64_t row_begin,
                                       int64_t row_end, int64_t col_begin, int64_t col_end);

class JitLibrary {
 public:
  /// Links `code`. When it cannot run here (compiled for another CPU, or
  /// LLVM refuses it), returns null and sets `why_not`; its steps then run
  /// their reference kernels.
  static std::unique_ptr<JitLibrary> load(const proto::JitCode& code, std::string& why_not);
  ~JitLibrary();

  /// The function `symbol`, or null when the library does not define it.
  FusedElementwiseFn fused_elementwise(const std::string& symbol) const;

 private:
  struct Impl;
  explicit JitLibrary(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace graphc
