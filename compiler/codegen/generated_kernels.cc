// generate_fused_kernels (see generated_kernels.h): one LLVM module with a
// function per distinct fused computation, optimised at O3 for the host CPU
// (its vector width: AVX-512 where present) and emitted as one object file
// into the compiled module, so loading the module only links machine code.
//
// Steps whose body computes the same thing over the same loop nest share a
// function: its symbol is a 64-bit FNV-1a hash of that canonical form (ops,
// attributes and operand positions, not node names).
#include "compiler/codegen/generated_kernels.h"

#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <map>
#include <mutex>

#include "compiler/codegen/fused_function.h"
#include "compiler/codegen/row_function.h"
#include "graphc/error.h"
#include "runtime/core/fusion_attrs.h"

namespace graphc::codegen {
namespace {

/// The body and loop nest with names replaced by positions: equal strings
/// compute equal functions.
std::string canonical_form(const proto::GraphDef& body, const FusedLoop& loop, bool row_wise) {
  std::string form = fmt::format("{} {}\n", row_wise ? "rows" : "dims", fmt::join(loop.dims, ","));
  for (const auto& strides : loop.strides) form += fmt::format("in {}\n", fmt::join(strides, ","));
  std::map<std::string, size_t> position;
  for (const auto& def : body.node()) {
    position[def.name()] = position.size();
    form += def.op();
    for (const auto& input : def.input()) form += fmt::format(" %{}", position.at(input));
    std::map<std::string, std::string> attrs;
    for (const auto& [name, value] : def.attr()) attrs[name] = value.ShortDebugString();
    for (const auto& [name, value] : attrs) form += fmt::format(" {}={}", name, value);
    form += '\n';
  }
  for (const auto& out : body.signature().outputs()) form += fmt::format("out %{}\n", position.at(out.tensor()));
  return form;
}

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

[[noreturn]] void llvm_failure(const std::string& what, llvm::Error error) {
  throw Error("codegen", fmt::format("{}: {}", what, llvm::toString(std::move(error))));
}

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) llvm_failure("cannot describe the host CPU", builder.takeError());
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine) llvm_failure("no LLVM target for the host CPU", machine.takeError());
  return std::move(*machine);
}

void optimize(llvm::Module& module, llvm::TargetMachine& machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(module, mam);
}

std::string emit_object(llvm::Module& module, llvm::TargetMachine& machine) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, stream, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    throw Error("codegen", "LLVM cannot emit an object file for the host CPU");
  }
  passes.run(module);
  return std::string(buffer.begin(), buffer.end());
}

/// The FusedElementwise steps of `module` and of its inference entry
/// point, each with the module whose values it names.
std::vector<std::pair<proto::Step*, const proto::Module*>> fused_steps(proto::Module& module) {
  std::vector<std::pair<proto::Step*, const proto::Module*>> steps;
  std::vector<proto::Module*> modules = {&module};
  if (module.has_inference()) modules.push_back(module.mutable_inference());
  for (proto::Module* m : modules) {
    for (auto& step : *m->mutable_steps()) {
      if (step.op() == "FusedElementwise") steps.emplace_back(&step, m);
    }
  }
  return steps;
}

/// Value `id`'s shape as the loop nest sees it: integer labels, one per
/// row, with a last dim of 1 (they broadcast along the row).
Shape loop_shape(const proto::Module& module, int id) {
  const proto::ValueInfo& value = module.values(id);
  Shape shape(value.shape().begin(), value.shape().end());
  if (value.dtype() == proto::DT_INT32 || value.dtype() == proto::DT_INT64) shape.push_back(1);
  return shape;
}

}  // namespace

void generate_fused_kernels(proto::Module& module) {
  auto steps = fused_steps(module);
  if (steps.empty()) return;
  std::unique_ptr<llvm::TargetMachine> machine = host_target_machine();
  llvm::LLVMContext context;
  llvm::Module code("graphc_fused_kernels", context);
  code.setDataLayout(machine->createDataLayout());
  code.setTargetTriple(machine->getTargetTriple().str());
  std::map<std::string, std::string> symbols;  // canonical form -> function
  for (auto [step, owner_module] : steps) {
    const proto::Module& owner = *owner_module;
    AttrMap attrs(step->node(), step->op(), {step->attr().begin(), step->attr().end()});
    proto::GraphDef body = fused_body(attrs);
    std::vector<Shape> input_shapes;
    for (int id : step->inputs()) input_shapes.push_back(loop_shape(owner, id));
    bool row_wise = works_row_by_row(body);
    FusedLoop loop = collapse_loop(attrs.get_shape("shape"), input_shapes, row_wise);
    std::string form = canonical_form(body, loop, row_wise);
    auto [it, fresh] = symbols.emplace(form, fmt::format("graphc_fused_{:016x}", fnv1a(form)));
    if (fresh && row_wise) emit_row_function(code, it->second, step->node(), body, loop);
    if (fresh && !row_wise) emit_fused_function(code, it->second, step->node(), body, loop);
    (*step->mutable_attr())["jit_symbol"].set_s(it->second);
    (*step->mutable_attr())["jit_rows"].set_i(loop.rows());
    (*step->mutable_attr())["jit_cols"].set_i(loop.cols());
    (*step->mutable_attr())["jit_row_wise"].set_b(row_wise);
  }
  std::string problems;
  llvm::raw_string_ostream problem_stream(problems);
  if (llvm::verifyModule(code, &problem_stream)) throw Error("codegen", "internal error: invalid LLVM IR: " + problems);
  optimize(code, *machine);
  proto::JitCode* jit = module.mutable_jit();
  jit->set_target_triple(machine->getTargetTriple().str());
  jit->set_cpu(llvm::sys::getHostCPUName().str());
  jit->set_object(emit_object(code, *machine));
  for (const auto& [form, symbol] : symbols) jit->add_symbols(symbol);
  // The inference entry point loads on its own (Trainer::export_inference).
  if (module.has_inference()) *module.mutable_inference()->mutable_jit() = *jit;
}

}  // namespace graphc::codegen
