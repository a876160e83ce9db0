// PrimitiveKernel and the shared pieces of the oneDNN kernel factories.
#include "runtime/kernels/onednn/primitive_kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/onednn/prepared_calls.h"

namespace graphc::onednn {

namespace {

constexpr size_t kAlignment = 64;

size_t aligned_size(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};

std::unique_ptr<std::byte, FreeDeleter> allocate(size_t bytes) {
  auto* p = static_cast<std::byte*>(std::aligned_alloc(kAlignment, aligned_size(std::max<size_t>(bytes, 1))));
  if (p == nullptr) throw std::bad_alloc();
  return std::unique_ptr<std::byte, FreeDeleter>(p);
}

}  // namespace

const dnnl::engine& cpu_engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(cpu_engine());
  return stream;
}

dnnl::memory::desc plain_desc(const Shape& dims) {
  if (dims.empty()) return plain_desc({1});
  return strided_desc(dims, strides_of(dims));
}

dnnl::memory::desc strided_desc(const Shape& dims, const Shape& strides) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory::desc stored_desc(const Shape& dims, Layout layout) {
  if (layout == Layout::plain) return plain_desc(dims);
  return strided_desc(dims, layout_strides(dims, layout));
}

dnnl::memory::desc stored_input(const KernelSpec& spec, size_t index) {
  return stored_desc(spec.inputs[index].shape, spec.input_layout(index));
}

dnnl::memory::desc stored_output(const KernelSpec& spec, size_t index) {
  return stored_desc(spec.outputs[index].shape, spec.output_layout(index));
}

dnnl::memory::desc any_desc(const Shape& dims) {
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, dnnl::memory::format_tag::any);
}

dnnl::primitive_attr scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void unavailable(const std::string& reason) { throw KernelUnavailable(reason); }

void unavailable(const char* what, const dnnl::error& e) {
  unavailable(fmt::format("oneDNN has no {} for these shapes ({})", what, e.what()));
}

void expect_f32_nonempty(const KernelSpec& spec) {
  for (const auto* types : {&spec.inputs, &spec.outputs}) {
    for (const TensorType& t : *types) {
      if (t.dtype != DType::f32) unavailable(fmt::format("dtype {}: the oneDNN kernels are f32 only", dtype_name(t.dtype)));
      if (num_elements(t.shape) == 0) unavailable(fmt::format("empty tensor {}", t.to_string()));
    }
  }
}

const Tensor* constant_input(const KernelSpec& spec, size_t index) {
  return index < spec.constants.size() ? spec.constants[index] : nullptr;
}

PrimitiveKernel::PrimitiveKernel(const dnnl::primitive_desc& pd) { then(pd); }

void PrimitiveKernel::then(const dnnl::primitive_desc& pd) {
  stages_.push_back(Stage{pd, dnnl::primitive(pd), {}, {}, {}, {}});
  scratch_.fit_scratchpad(pd);
}

size_t PrimitiveKernel::scratch_bytes() const { return scratch_.bytes(); }

dnnl::memory::desc PrimitiveKernel::wanted(int arg) const {
  return stages_.back().pd.query_md(dnnl::query::exec_arg_md, arg);
}

void PrimitiveKernel::bind_input(int arg, size_t index, const dnnl::memory::desc& stored, const Tensor* constant) {
  Binding b{arg, index, stored, wanted(arg)};
  if (b.wanted != b.stored) {
    if (constant != nullptr) {
      // Reordered once, now: a constant never changes.
      b.prepared = allocate(b.wanted.get_size());
      dnnl::memory from(stored, cpu_engine(), const_cast<void*>(constant->raw_data()));
      dnnl::memory to(b.wanted, cpu_engine(), b.prepared.get());
      dnnl::stream stream(cpu_engine());
      dnnl::reorder(from, to).execute(stream, from, to);
      stream.wait();
    } else {
      b.reorder = scratch_.make_reorder(b.stored, b.wanted);
      b.scratch_offset = scratch_.reserve(b.wanted.get_size());
    }
  }
  stages_.back().inputs.push_back(std::move(b));
}

void PrimitiveKernel::bind_output(int arg, size_t index, const dnnl::memory::desc& stored) {
  Binding b{arg, index, stored, wanted(arg)};
  if (b.wanted != b.stored) {
    b.reorder = scratch_.make_reorder(b.wanted, b.stored);
    b.scratch_offset = scratch_.reserve(b.wanted.get_size());
  }
  stages_.back().outputs.push_back(std::move(b));
}

void PrimitiveKernel::bind_accumulator(size_t index, const dnnl::memory::desc& stored) {
  stages_.back().accumulator = Accumulator{index, stored, scratch_.make_reorder(stored, wanted(DNNL_ARG_DST))};
}

size_t PrimitiveKernel::bind_new_buffer(int arg) {
  dnnl::memory::desc desc = wanted(arg);
  buffers_.push_back({desc, scratch_.reserve(desc.get_size())});
  stages_.back().buffers.emplace_back(arg, buffers_.size() - 1);
  return buffers_.size() - 1;
}

void PrimitiveKernel::bind_buffer(int arg, size_t buffer) {
  if (wanted(arg) != buffers_.at(buffer).desc) {
    unavailable("a primitive of the chain wants another layout for an intermediate buffer than its writer's");
  }
  stages_.back().buffers.emplace_back(arg, buffer);
}

namespace {

/// A PrimitiveKernel bound to one session's step: its calls over the step's
/// tensors and scratch block, run in order.
class BoundPrimitives final : public BoundKernel {
 public:
  explicit BoundPrimitives(dnnl::memory scratchpad) : calls(std::move(scratchpad)) {}

  void run() override {
    calls.follow_tensors();  // a caller may have given a session input new storage
    calls.execute_all();
  }

  PreparedCalls calls;
};

}  // namespace

std::unique_ptr<BoundKernel> PrimitiveKernel::bind(const KernelBinding& binding) const {
  const dnnl::engine& engine = cpu_engine();
  std::byte* scratch = binding.scratch;
  auto in_scratch = [&](const dnnl::memory::desc& desc, size_t offset) {
    return dnnl::memory(desc, engine, scratch + offset);
  };
  auto bound = std::make_unique<BoundPrimitives>(scratch_.scratchpad(scratch));
  PreparedCalls& calls = bound->calls;
  using Args = PreparedCalls::Args;

  for (const Stage& stage : stages_) {
    Args args;
    for (const Binding& b : stage.inputs) {
      if (b.prepared) {
        args.emplace_back(b.arg, dnnl::memory(b.wanted, engine, b.prepared.get()));
      } else if (b.reorder) {
        dnnl::memory wanted = in_scratch(b.wanted, b.scratch_offset);
        calls.add(*b.reorder,
                  {{DNNL_ARG_FROM, calls.over_tensor(b.stored, binding.inputs[b.index])}, {DNNL_ARG_TO, wanted}});
        args.emplace_back(b.arg, wanted);
      } else {
        args.emplace_back(b.arg, calls.over_tensor(b.stored, binding.inputs[b.index]));
      }
    }
    std::vector<dnnl::memory> written;  // per output binding, what the primitive writes
    for (const Binding& b : stage.outputs) {
      written.push_back(b.reorder ? in_scratch(b.wanted, b.scratch_offset)
                                  : calls.over_tensor(b.wanted, binding.outputs[b.index]));
      args.emplace_back(b.arg, written.back());
    }
    for (auto [arg, index] : stage.buffers) {
      const Buffer& buffer = buffers_[index];
      args.emplace_back(arg, in_scratch(buffer.desc, buffer.scratch_offset));
    }
    if (const auto& a = stage.accumulator) {
      auto dst = std::find_if(args.begin(), args.end(), [](const auto& arg) { return arg.first == DNNL_ARG_DST; });
      if (dst == args.end()) throw std::logic_error("PrimitiveKernel: an accumulator without a bound destination");
      calls.add(a->copy,
                {{DNNL_ARG_FROM, calls.over_tensor(a->stored, binding.inputs[a->index])}, {DNNL_ARG_TO, dst->second}});
    }
    calls.add(stage.primitive, std::move(args));
    for (size_t i = 0; i < stage.outputs.size(); ++i) {
      const Binding& b = stage.outputs[i];
      if (!b.reorder) continue;
      calls.add(*b.reorder,
                {{DNNL_ARG_FROM, written[i]}, {DNNL_ARG_TO, calls.over_tensor(b.stored, binding.outputs[b.index])}});
    }
  }
  return bound;
}

void PrimitiveKernel::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const {
  auto scratch = allocate(scratch_bytes());
  bind({inputs, outputs, scratch.get()})->run();
}

}  // namespace graphc::onednn
