// JitLibrary (see jit_library.h). One LLJIT per loaded module holding its
// object file; the process's own symbols (libm, for the few calls generated
// code makes) resolve through a search generator.
#include "runtime/kernels/jit/jit_library.h"

#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>

#include <map>
#include <mutex>

namespace graphc {

struct JitLibrary::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::map<std::string, FusedElementwiseFn> functions;
};

JitLibrary::JitLibrary(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JitLibrary::~JitLibrary() = default;

std::unique_ptr<JitLibrary> JitLibrary::load(const proto::JitCode& code, std::string& why_not) {
  std::string host_cpu = llvm::sys::getHostCPUName().str();
  std::string host_triple = llvm::sys::getProcessTriple();
  if (code.cpu() != host_cpu || code.target_triple() != host_triple) {
    why_not = fmt::format("generated code is for {} ({}), this machine is {} ({}); recompile the module here",
                          code.cpu(), code.target_triple(), host_cpu, host_triple);
    return nullptr;
  }
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto fail = [&](llvm::Error error) {
    why_not = "LLVM cannot link the generated code: " + llvm::toString(std::move(error));
    return nullptr;
  };
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) return fail(jit.takeError());
  auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess((*jit)->getDataLayout().getGlobalPrefix());
  if (!process) return fail(process.takeError());
  (*jit)->getMainJITDylib().addGenerator(std::move(*process));
  auto object = llvm::MemoryBuffer::getMemBufferCopy(code.object(), "graphc_fused_kernels.o");
  if (auto error = (*jit)->addObjectFile(std::move(object))) return fail(std::move(error));
  auto impl = std::make_unique<Impl>();
  for (const std::string& symbol : code.symbols()) {
    auto address = (*jit)->lookup(symbol);
    if (!address) return fail(address.takeError());
    impl->functions[symbol] = address->toPtr<FusedElementwiseFn>();
  }
  impl->jit = std::move(*jit);
  return std::unique_ptr<JitLibrary>(new JitLibrary(std::move(impl)));
}

FusedElementwiseFn JitLibrary::fused_elementwise(const std::string& symbol) const {
  auto it = impl_->functions.find(symbol);
  return it == impl_->functions.end() ? nullptr : it->second;
}

}  // namespace graphc
