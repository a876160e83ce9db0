// emit_row_function (see row_function.h).
//
// Each body value is per row (constant along the row: reductions, Consts,
// inputs broadcast along the last axis, ops of only such values) or per
// element. Each has a phase: how many reductions must finish, one after
// another, before it can be computed (Placeholders and Consts 0, an op the
// largest of its inputs', a reduction one more than its input's). A row is
// then a sequence of column loops: loop k accumulates the reductions of
// phase-k inputs and stores the per-element outputs of phase k; after it the
// reductions are finished (a mean divides by the row length) and the
// per-row values of phase k + 1 are computed, once per row. A per-element
// value that a later loop needs again is recomputed there from the inputs
// (the row was just read and is still in cache; a few instructions cost
// less than a round trip through memory), unless it is expensive (an exp,
// log, tanh, ... on its way): then its first loop stores it in a row buffer
// on the stack (at most kRowCacheBytes) and later loops load it, so
// softmax computes each exponential once. A per-element value divided by a
// per-row one is multiplied by its reciprocal, taken once per row (within
// an ulp of the division).
//
// Numerics: the max-subtraction of softmax and log-softmax and the two-pass
// variance of layer norm are in the bodies fuse-elementwise writes; this
// code computes exactly what the body says. Sums accumulate in double (as
// the reference kernels do), with reassociation allowed on the accumulating
// add alone, so LLVM vectorises them; the order of additions within a row
// is then fixed by the code
// (vector lanes, then one fixed tree), the same on every run and for any
// number of threads, since a row is never split. The max is llvm.maximum,
// which propagates NaN like the reference kernel.
//
// Labels: an integer Placeholder (i32 or i64, one per row) is a per-row
// value of phase 0, loaded and checked at the start of its row: outside
// [0, row length) the function returns the row before writing anything of
// it. A LabelMask is per element, 1 where the column index equals the
// label; it reads nothing else (its logits operand gives only its shape),
// so its value is a compare and a select, which vectorise.
#include "compiler/codegen/row_function.h"

#include <fmt/format.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "compiler/codegen/fused_function.h"
#include "compiler/codegen/scalar_emitters.h"
#include "graphc/error.h"
#include "runtime/core/fusion_attrs.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::codegen {
namespace {

/// What the row kernel needs to know of a body value.
struct BodyValue {
  const proto::NodeDef* def = nullptr;
  bool per_row = false;
  int phase = 0;
  int input = -1;                 // a Placeholder's input of the node
  llvm::Type* label = nullptr;    // an integer Placeholder's type (i32, i64)
  int labels = -1;                // a LabelMask's labels (a body value)
  std::vector<size_t> operands;   // the values an op reads (none for a LabelMask)
};

/// i32 or i64 for an integer Placeholder, else null.
llvm::Type* label_type(const proto::NodeDef& def, llvm::LLVMContext& ctx) {
  auto dtype = def.attr().find("dtype");
  if (dtype == def.attr().end()) return nullptr;
  if (dtype->second.type() == proto::DT_INT32) return llvm::Type::getInt32Ty(ctx);
  if (dtype->second.type() == proto::DT_INT64) return llvm::Type::getInt64Ty(ctx);
  return nullptr;
}

/// The body's values in order, classified; throws naming `node` on a body
/// the kernel cannot compute.
std::vector<BodyValue> classify(const proto::GraphDef& body, const FusedLoop& loop, const std::string& node,
                                llvm::LLVMContext& ctx) {
  std::vector<BodyValue> values;
  std::map<std::string, size_t> index;
  size_t next_input = 0;
  for (const proto::NodeDef& def : body.node()) {
    std::string where = fmt::format("node '{}' of fused node '{}'", def.name(), node);
    BodyValue v;
    v.def = &def;
    if (def.op() == "Placeholder") {
      if (next_input == loop.strides.size()) throw Error(where, "the body has more Placeholders than the node has inputs");
      v.input = static_cast<int>(next_input++);
      v.label = label_type(def, ctx);
      v.per_row = v.label != nullptr || (loop.strides[v.input].back() == 0 && loop.cols() > 1);
    } else if (def.op() == "Const") {
      v.per_row = true;
    } else if (is_label_mask_op(def.op())) {
      auto labels = def.input_size() == 2 ? index.find(def.input(1)) : index.end();
      if (labels == index.end() || values[labels->second].label == nullptr) {
        throw Error(where, "a LabelMask's second input must be an integer Placeholder");
      }
      v.labels = static_cast<int>(labels->second);
    } else {
      v.per_row = true;
      for (const std::string& input : def.input()) {
        auto it = index.find(input);
        if (it == index.end()) throw Error(where, fmt::format("reads '{}', which the body has not computed", input));
        v.operands.push_back(it->second);
        v.phase = std::max(v.phase, values[it->second].phase);
        v.per_row = v.per_row && values[it->second].per_row;
      }
      if (is_row_reduction_op(def.op())) {
        if (v.operands.size() != 1 || values[v.operands[0]].per_row) {
          throw Error(where, "a reduction must read one value that varies along the row");
        }
        v.phase += 1;
        v.per_row = true;
      }
    }
    index[def.name()] = values.size();
    values.push_back(v);
  }
  return values;
}

/// The stack buffers caching expensive per-element values hold at most this.
constexpr int64_t kRowCacheBytes = 64 * 1024;

bool is_transcendental(const std::string& op) {
  for (const char* t : {"Exp", "Log", "Tanh", "Sigmoid", "Erf", "Gelu", "Pow"}) {
    if (op == t) return true;
  }
  return false;
}

/// What column loop k computes: the reductions it accumulates, the
/// per-element values it computes (body order) and those it loads from a
/// row cache (computed by an earlier loop).
struct LoopPlan {
  std::vector<size_t> reductions;
  std::set<size_t> computed;
  std::set<size_t> loaded;
};

/// The loops' work when the values in `cached` are kept by their first loop.
std::vector<LoopPlan> plan_loops(const std::vector<BodyValue>& values, const std::map<size_t, std::vector<int>>& outputs_of,
                                 int last_phase, const std::set<size_t>& cached) {
  std::vector<LoopPlan> plans(last_phase + 1);
  std::set<size_t> done;  // computed by an earlier loop
  for (int k = 0; k <= last_phase; ++k) {
    LoopPlan& plan = plans[k];
    std::vector<size_t> stack;
    for (size_t i = 0; i < values.size(); ++i) {
      const BodyValue& v = values[i];
      if (is_row_reduction_op(v.def->op()) && values[v.operands[0]].phase == k) {
        plan.reductions.push_back(i);
        stack.push_back(v.operands[0]);
      } else if (!v.per_row && v.phase == k && outputs_of.count(i)) {
        stack.push_back(i);
      }
    }
    while (!stack.empty()) {
      size_t i = stack.back();
      stack.pop_back();
      if (values[i].per_row || plan.computed.count(i) || plan.loaded.count(i)) continue;
      if (cached.count(i) && done.count(i)) {
        plan.loaded.insert(i);
        continue;
      }
      plan.computed.insert(i);
      for (size_t o : values[i].operands) stack.push_back(o);
    }
    done.insert(plan.computed.begin(), plan.computed.end());
  }
  return plans;
}

/// The expensive per-element values worth caching: computed by two loops
/// or more without a cache, and loaded by a later one with it.
std::set<size_t> choose_cached(const std::vector<BodyValue>& values, const std::map<size_t, std::vector<int>>& outputs_of,
                               int last_phase, int64_t cols) {
  std::vector<bool> expensive(values.size(), false);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i].per_row) continue;
    expensive[i] = is_transcendental(values[i].def->op());
    for (size_t o : values[i].operands) expensive[i] = expensive[i] || expensive[o];
  }
  std::map<size_t, int> loops_computing;
  for (const LoopPlan& plan : plan_loops(values, outputs_of, last_phase, {})) {
    for (size_t i : plan.computed) ++loops_computing[i];
  }
  std::set<size_t> cached;
  for (const auto& [i, loops] : loops_computing) {
    if (loops >= 2 && expensive[i] && values[i].input < 0) cached.insert(i);
  }
  std::set<size_t> loaded;
  for (const LoopPlan& plan : plan_loops(values, outputs_of, last_phase, cached)) {
    loaded.insert(plan.loaded.begin(), plan.loaded.end());
  }
  std::set<size_t> kept;
  for (size_t i : loaded) {
    if (static_cast<int64_t>(kept.size() + 1) * cols * 4 <= kRowCacheBytes) kept.insert(i);
  }
  return kept;
}

llvm::Value* f32_constant(const proto::NodeDef& def, const std::string& where, llvm::Type* f32) {
  Tensor value = tensor_from_proto(def.attr().at("value").tensor(), where);
  if (value.dtype() != DType::f32 || value.num_elements() != 1) throw Error(where, "a body Const must be an f32 scalar");
  return llvm::ConstantFP::get(f32, value.data<float>()[0]);
}

}  // namespace

void emit_row_function(llvm::Module& module, const std::string& name, const std::string& node,
                       const proto::GraphDef& body, const FusedLoop& loop) {
  llvm::LLVMContext& ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type* f32 = b.getFloatTy();
  llvm::Type* f64 = b.getDoubleTy();
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Function* fn = declare_fused_function(module, name);
  llvm::Value* inputs = fn->getArg(0);
  llvm::Value* outputs = fn->getArg(1);
  llvm::Value *row_begin = fn->getArg(2), *row_end = fn->getArg(3);

  std::vector<BodyValue> values = classify(body, loop, node, ctx);
  std::map<size_t, std::vector<int>> outputs_of;  // value -> the node outputs it is
  for (int i = 0; i < body.signature().outputs_size(); ++i) {
    const std::string& tensor = body.signature().outputs(i).tensor();
    auto it = std::find_if(values.begin(), values.end(), [&](const BodyValue& v) { return v.def->name() == tensor; });
    if (it == values.end()) throw Error(node, fmt::format("body output {} names no body node", i));
    outputs_of[it - values.begin()].push_back(i);
  }
  int last_phase = 0;
  for (const BodyValue& v : values) last_phase = std::max(last_phase, v.phase);

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", fn);
  auto* row_head = llvm::BasicBlock::Create(ctx, "row", fn);
  auto* exit = llvm::BasicBlock::Create(ctx, "exit", fn);
  // Returns the row whose label is out of range (reached only with labels).
  llvm::BasicBlock* bad_label = nullptr;
  llvm::PHINode* bad_rows = nullptr;
  if (std::any_of(values.begin(), values.end(), [](const BodyValue& v) { return v.label != nullptr; })) {
    bad_label = llvm::BasicBlock::Create(ctx, "bad_label", fn);
    b.SetInsertPoint(bad_label);
    bad_rows = b.CreatePHI(i64, 1, "bad_row");
    b.CreateRet(bad_rows);
  }
  b.SetInsertPoint(entry);
  std::vector<llvm::Value*> in_ptrs = load_pointers(b, inputs, loop.strides.size());
  std::vector<llvm::Value*> out_ptrs = load_pointers(b, outputs, body.signature().outputs_size());
  std::set<size_t> cached = choose_cached(values, outputs_of, last_phase, loop.cols());
  std::vector<LoopPlan> plans = plan_loops(values, outputs_of, last_phase, cached);
  std::map<size_t, llvm::Value*> cache_of;  // cached value -> its row buffer
  for (size_t i : cached) {
    llvm::AllocaInst* buffer = b.CreateAlloca(llvm::ArrayType::get(f32, loop.cols()), nullptr, values[i].def->name());
    buffer->setAlignment(llvm::Align(64));
    cache_of[i] = buffer;
  }
  b.CreateCondBr(b.CreateICmpSLT(row_begin, row_end), row_head, exit);

  // Row: each input's start, the output rows.
  b.SetInsertPoint(row_head);
  llvm::PHINode* row = b.CreatePHI(i64, 2, "r");
  row->addIncoming(row_begin, entry);
  std::vector<llvm::Value*> offsets = row_offsets(b, loop, row);
  std::vector<llvm::Value*> row_starts;
  std::vector<llvm::Type*> element_type(loop.strides.size(), f32);  // per input: f32, or its labels' integer type
  for (const BodyValue& v : values) {
    if (v.label != nullptr) element_type[v.input] = v.label;
  }
  for (size_t j = 0; j < loop.strides.size(); ++j) {
    row_starts.push_back(b.CreateGEP(element_type[j], in_ptrs[j], offsets[j]));
  }
  llvm::Value* out_row = b.CreateMul(row, b.getInt64(loop.cols()));

  std::vector<llvm::Value*> row_value(values.size(), nullptr);  // per-row values computed so far
  auto attrs_of = [](const proto::NodeDef& def) {
    return AttrMap(def.name(), def.op(), {def.attr().begin(), def.attr().end()});
  };
  auto where_of = [&](const BodyValue& v) { return fmt::format("node '{}' of fused node '{}'", v.def->name(), node); };
  auto store_row_outputs = [&](size_t i) {
    auto it = outputs_of.find(i);
    if (it == outputs_of.end()) return;
    for (int out : it->second) b.CreateStore(row_value[i], b.CreateGEP(f32, out_ptrs[out], row));
  };
  // The per-row values of `phase` that are not reductions (those are
  // finished after their loop), in body order.
  auto emit_row_values = [&](int phase) {
    for (size_t i = 0; i < values.size(); ++i) {
      const BodyValue& v = values[i];
      if (!v.per_row || v.phase != phase || is_row_reduction_op(v.def->op())) continue;
      if (v.label != nullptr) {  // checked: 0 <= label < row length
        row_value[i] = b.CreateSExt(b.CreateLoad(v.label, row_starts[v.input]), i64);
        auto* valid = llvm::BasicBlock::Create(ctx, fmt::format("{}.valid", v.def->name()), fn);
        b.CreateCondBr(b.CreateICmpULT(row_value[i], b.getInt64(loop.cols())), valid, bad_label);
        bad_rows->addIncoming(row, b.GetInsertBlock());
        b.SetInsertPoint(valid);
      } else if (v.input >= 0) {
        row_value[i] = b.CreateLoad(f32, row_starts[v.input]);
      } else if (v.def->op() == "Const") {
        row_value[i] = f32_constant(*v.def, where_of(v), f32);
      } else {
        std::vector<llvm::Value*> args;
        for (size_t o : v.operands) args.push_back(row_value[o]);
        row_value[i] = emit_scalar_op(b, attrs_of(*v.def), args);
      }
      store_row_outputs(i);
    }
  };
  emit_row_values(0);

  for (int k = 0; k <= last_phase; ++k) {
    const std::vector<size_t>& reductions = plans[k].reductions;
    if (plans[k].computed.empty() && plans[k].loaded.empty()) continue;
    // Per-row divisors of per-element values: their reciprocals, once per row.
    std::map<size_t, llvm::Value*> reciprocal;
    for (size_t i : plans[k].computed) {
      const BodyValue& v = values[i];
      if (v.def->op() != "Div" || values[v.operands[0]].per_row || !values[v.operands[1]].per_row) continue;
      size_t d = v.operands[1];
      if (!reciprocal.count(d)) reciprocal[d] = b.CreateFDiv(llvm::ConstantFP::get(f32, 1.0), row_value[d]);
    }
    llvm::BasicBlock* preheader = b.GetInsertBlock();
    auto* body_block = llvm::BasicBlock::Create(ctx, fmt::format("loop{}", k), fn);
    auto* after = llvm::BasicBlock::Create(ctx, fmt::format("loop{}.done", k), fn);
    b.CreateBr(body_block);
    b.SetInsertPoint(body_block);
    llvm::PHINode* col = b.CreatePHI(i64, 2, "c");
    col->addIncoming(b.getInt64(0), preheader);
    std::vector<llvm::PHINode*> accumulators;
    for (size_t r : reductions) {
      bool is_max = values[r].def->op() == "ReduceMax";
      llvm::Type* acc_type = is_max ? f32 : f64;
      llvm::PHINode* acc = b.CreatePHI(acc_type, 2, values[r].def->name());
      acc->addIncoming(llvm::ConstantFP::get(acc_type, is_max ? -std::numeric_limits<float>::infinity() : 0.0),
                       preheader);
      accumulators.push_back(acc);
    }
    std::vector<llvm::Value*> element(values.size(), nullptr);
    auto operand = [&](size_t o) { return values[o].per_row ? row_value[o] : element[o]; };
    for (size_t i : plans[k].loaded) {
      element[i] = b.CreateLoad(f32, b.CreateGEP(f32, cache_of.at(i), col));
    }
    for (size_t i : plans[k].computed) {  // std::set: body order, so operands come first
      const BodyValue& v = values[i];
      if (v.input >= 0) {
        llvm::Value* at = loop.strides[v.input].back() == 0 ? row_starts[v.input] : b.CreateGEP(f32, row_starts[v.input], col);
        element[i] = b.CreateLoad(f32, at);
        continue;
      }
      auto r = v.def->op() == "Div" ? reciprocal.find(v.operands[1]) : reciprocal.end();
      if (v.labels >= 0) {
        llvm::Value* is_label = b.CreateICmpEQ(col, row_value[v.labels]);
        element[i] = b.CreateSelect(is_label, llvm::ConstantFP::get(f32, 1.0), llvm::ConstantFP::get(f32, 0.0));
      } else if (r != reciprocal.end()) {
        element[i] = b.CreateFMul(operand(v.operands[0]), r->second);
      } else {
        std::vector<llvm::Value*> args;
        for (size_t o : v.operands) args.push_back(operand(o));
        element[i] = emit_scalar_op(b, attrs_of(*v.def), args);
      }
      if (cache_of.count(i)) b.CreateStore(element[i], b.CreateGEP(f32, cache_of.at(i), col));
    }
    std::vector<llvm::Value*> next_acc;
    for (size_t a = 0; a < reductions.size(); ++a) {
      llvm::Value* x = operand(values[reductions[a]].operands[0]);
      if (values[reductions[a]].def->op() == "ReduceMax") {
        next_acc.push_back(b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, accumulators[a], x));
      } else {
        llvm::Value* sum = b.CreateFAdd(accumulators[a], b.CreateFPExt(x, f64));
        llvm::FastMathFlags reassociate;
        reassociate.setAllowReassoc();
        llvm::cast<llvm::Instruction>(sum)->setFastMathFlags(reassociate);
        next_acc.push_back(sum);
      }
    }
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].per_row || values[i].phase != k || !outputs_of.count(i)) continue;
      for (int out : outputs_of[i]) b.CreateStore(element[i], b.CreateGEP(f32, out_ptrs[out], b.CreateAdd(out_row, col)));
    }
    llvm::BasicBlock* latch = b.GetInsertBlock();
    llvm::Value* next_col = b.CreateAdd(col, b.getInt64(1));
    col->addIncoming(next_col, latch);
    for (size_t a = 0; a < reductions.size(); ++a) accumulators[a]->addIncoming(next_acc[a], latch);
    b.CreateCondBr(b.CreateICmpSLT(next_col, b.getInt64(loop.cols())), body_block, after);

    b.SetInsertPoint(after);
    for (size_t a = 0; a < reductions.size(); ++a) {
      size_t r = reductions[a];
      llvm::Value* result = next_acc[a];
      if (values[r].def->op() == "ReduceMean") {
        result = b.CreateFDiv(result, llvm::ConstantFP::get(f64, static_cast<double>(loop.cols())));
      }
      row_value[r] = values[r].def->op() == "ReduceMax" ? result : b.CreateFPTrunc(result, f32);
      store_row_outputs(r);
    }
    emit_row_values(k + 1);
  }

  llvm::BasicBlock* last = b.GetInsertBlock();
  llvm::Value* next_row = b.CreateAdd(row, b.getInt64(1));
  row->addIncoming(next_row, last);
  b.CreateCondBr(b.CreateICmpSLT(next_row, row_end), row_head, exit);

  b.SetInsertPoint(exit);
  b.CreateRet(b.getInt64(-1));
}

}  // namespace graphc::codegen
