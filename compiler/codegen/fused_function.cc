// emit_fused_function (see fused_function.h). The row loop computes each
// input's offset for the row from the row index (constant extents, so
// division becomes multiplication); inputs that broadcast along the columns
// are loaded once per row; the column loop is a plain counted loop with
// stride-1 loads and stores, which O3 vectorises.
#include "compiler/codegen/fused_function.h"

#include <fmt/format.h>
#include <llvm/IR/IRBuilder.h>

#include <map>

#include "compiler/codegen/scalar_emitters.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::codegen {

llvm::Function* declare_fused_function(llvm::Module& module, const std::string& name) {
  llvm::IRBuilder<> b(module.getContext());
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Type* ptr = b.getPtrTy();
  auto* type = llvm::FunctionType::get(i64, {ptr, ptr, i64, i64, i64, i64}, false);
  auto* fn = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, module);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  for (unsigned i = 0; i < 2; ++i) {
    fn->addParamAttr(i, llvm::Attribute::NoAlias);
    fn->addParamAttr(i, llvm::Attribute::ReadOnly);
  }
  return fn;
}

std::vector<llvm::Value*> load_pointers(llvm::IRBuilder<>& b, llvm::Value* array, size_t count) {
  std::vector<llvm::Value*> pointers;
  for (size_t i = 0; i < count; ++i) {
    pointers.push_back(b.CreateLoad(b.getPtrTy(), b.CreateConstGEP1_64(b.getPtrTy(), array, i)));
  }
  return pointers;
}

std::vector<llvm::Value*> row_offsets(llvm::IRBuilder<>& b, const FusedLoop& loop, llvm::Value* row) {
  std::vector<llvm::Value*> offsets(loop.strides.size(), b.getInt64(0));
  llvm::Value* rest = row;
  for (size_t d = loop.dims.size() - 1; d-- > 0;) {
    llvm::Value* index = b.CreateURem(rest, b.getInt64(loop.dims[d]));
    rest = b.CreateUDiv(rest, b.getInt64(loop.dims[d]));
    for (size_t j = 0; j < loop.strides.size(); ++j) {
      if (loop.strides[j][d] == 0) continue;
      offsets[j] = b.CreateAdd(offsets[j], b.CreateMul(index, b.getInt64(loop.strides[j][d])));
    }
  }
  return offsets;
}

void emit_fused_function(llvm::Module& module, const std::string& name, const std::string& node,
                         const proto::GraphDef& body, const FusedLoop& loop) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type* f32 = b.getFloatTy();
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Function* fn = declare_fused_function(module, name);
  llvm::Value* inputs = fn->getArg(0);
  llvm::Value* outputs = fn->getArg(1);
  llvm::Value *row_begin = fn->getArg(2), *row_end = fn->getArg(3), *col_begin = fn->getArg(4), *col_end = fn->getArg(5);

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto* row_head = llvm::BasicBlock::Create(ctx, "row", fn);
  auto* col_body = llvm::BasicBlock::Create(ctx, "col", fn);
  auto* row_latch = llvm::BasicBlock::Create(ctx, "row.next", fn);
  auto* exit = llvm::BasicBlock::Create(ctx, "exit", fn);

  b.SetInsertPoint(entry);
  std::vector<llvm::Value*> in_ptrs = load_pointers(b, inputs, loop.strides.size());
  std::vector<llvm::Value*> out_ptrs = load_pointers(b, outputs, body.signature().outputs_size());
  b.CreateCondBr(b.CreateICmpSLT(row_begin, row_end), row_head, exit);

  // Row: each input's offset, the broadcast inputs' values, the output row.
  b.SetInsertPoint(row_head);
  llvm::PHINode* row = b.CreatePHI(i64, 2, "r");
  row->addIncoming(row_begin, entry);
  std::vector<llvm::Value*> offsets = row_offsets(b, loop, row);
  std::vector<llvm::Value*> row_inputs(loop.strides.size());  // per input: its row start, or its value
  for (size_t j = 0; j < loop.strides.size(); ++j) {
    llvm::Value* start = b.CreateGEP(f32, in_ptrs[j], offsets[j]);
    row_inputs[j] = loop.strides[j].back() == 0 ? b.CreateLoad(f32, start) : start;
  }
  llvm::Value* out_row = b.CreateMul(row, b.getInt64(loop.cols()));
  b.CreateBr(col_body);

  // Column: the body, element by element.
  b.SetInsertPoint(col_body);
  llvm::PHINode* col = b.CreatePHI(i64, 2, "c");
  col->addIncoming(col_begin, row_head);
  std::map<std::string, llvm::Value*> values;
  size_t next_input = 0;
  for (const proto::NodeDef& def : body.node()) {
    std::string where = fmt::format("node '{}' of fused node '{}'", def.name(), node);
    if (def.op() == "Placeholder") {
      if (next_input == loop.strides.size()) throw Error(where, "the body has more Placeholders than the node has inputs");
      size_t j = next_input++;
      values[def.name()] = loop.strides[j].back() == 0 ? row_inputs[j] : b.CreateLoad(f32, b.CreateGEP(f32, row_inputs[j], col));
      continue;
    }
    if (def.op() == "Const") {
      Tensor value = tensor_from_proto(def.attr().at("value").tensor(), where);
      if (value.dtype() != DType::f32 || value.num_elements() != 1) throw Error(where, "a body Const must be an f32 scalar");
      values[def.name()] = llvm::ConstantFP::get(f32, value.data<float>()[0]);
      continue;
    }
    std::vector<llvm::Value*> args;
    for (const std::string& input : def.input()) {
      auto it = values.find(input);
      if (it == values.end()) throw Error(where, fmt::format("reads '{}', which the body has not computed", input));
      args.push_back(it->second);
    }
    values[def.name()] = emit_scalar_op(b, AttrMap(def.name(), def.op(), {def.attr().begin(), def.attr().end()}), args);
  }
  for (int i = 0; i < body.signature().outputs_size(); ++i) {
    auto it = values.find(body.signature().outputs(i).tensor());
    if (it == values.end()) throw Error(node, fmt::format("body output {} names no body node", i));
    b.CreateStore(it->second, b.CreateGEP(f32, out_ptrs[i], b.CreateAdd(out_row, col)));
  }
  llvm::Value* next_col = b.CreateAdd(col, b.getInt64(1));
  col->addIncoming(next_col, col_body);
  b.CreateCondBr(b.CreateICmpSLT(next_col, col_end), col_body, row_latch);

  b.SetInsertPoint(row_latch);
  llvm::Value* next_row = b.CreateAdd(row, b.getInt64(1));
  row->addIncoming(next_row, row_latch);
  b.CreateCondBr(b.CreateICmpSLT(next_row, row_end), row_head, exit);

  b.SetInsertPoint(exit);
  b.CreateRet(b.getInt64(-1));  // no labels here
}

}  // namespace graphc::codegen
