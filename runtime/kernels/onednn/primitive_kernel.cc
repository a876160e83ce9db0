// PrimitiveKernel and the shared pieces of the oneDNN kernel factories.
#include "runtime/kernels/onednn/primitive_kernel.h"

#include <fmt/format.h>

#include <cstdlib>
#include <unordered_map>

#include "runtime/core/shape_rules.h"

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

dnnl::memory::desc bytes_desc(size_t bytes) {
  return dnnl::memory::desc({static_cast<dnnl::memory::dim>(bytes)}, dnnl::memory::data_type::u8,
                            dnnl::memory::format_tag::x);
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

std::byte* thread_scratch(size_t bytes) {
  thread_local std::unique_ptr<std::byte, FreeDeleter> buffer;
  thread_local size_t size = 0;
  if (bytes > size) {
    buffer = allocate(bytes);
    size = aligned_size(bytes);
  }
  return buffer.get();
}

PrimitiveKernel::PrimitiveKernel(const dnnl::primitive_desc& pd) { then(pd); }

void PrimitiveKernel::then(const dnnl::primitive_desc& pd) {
  stages_.push_back(Stage{pd, dnnl::primitive(pd), {}, {}, {}, {}});
  fit_scratchpad(pd);
}

size_t PrimitiveKernel::scratch_bytes() const { return buffer_bytes_ + scratchpad_bytes_; }

size_t PrimitiveKernel::reserve(size_t bytes) {
  size_t offset = buffer_bytes_;
  buffer_bytes_ += aligned_size(bytes);
  return offset;
}

void PrimitiveKernel::fit_scratchpad(const dnnl::primitive_desc_base& pd) {
  scratchpad_bytes_ = std::max(scratchpad_bytes_, aligned_size(pd.scratchpad_desc().get_size()));
}

dnnl::memory::desc PrimitiveKernel::wanted(int arg) const {
  return stages_.back().pd.query_md(dnnl::query::exec_arg_md, arg);
}

dnnl::reorder PrimitiveKernel::make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to) {
  try {
    dnnl::reorder::primitive_desc pd(cpu_engine(), from, cpu_engine(), to, scratchpad_attr());
    fit_scratchpad(pd);
    return dnnl::reorder(pd);
  } catch (const dnnl::error& e) {
    unavailable("reorder", e);
  }
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
      b.reorder = make_reorder(b.stored, b.wanted);
      b.scratch_offset = reserve(b.wanted.get_size());
    }
  }
  stages_.back().inputs.push_back(std::move(b));
}

void PrimitiveKernel::bind_output(int arg, size_t index, const dnnl::memory::desc& stored) {
  Binding b{arg, index, stored, wanted(arg)};
  if (b.wanted != b.stored) {
    b.reorder = make_reorder(b.wanted, b.stored);
    b.scratch_offset = reserve(b.wanted.get_size());
  }
  stages_.back().outputs.push_back(std::move(b));
}

void PrimitiveKernel::bind_accumulator(size_t index, const dnnl::memory::desc& stored) {
  stages_.back().accumulator = Accumulator{index, stored, make_reorder(stored, wanted(DNNL_ARG_DST))};
}

size_t PrimitiveKernel::bind_new_buffer(int arg) {
  dnnl::memory::desc desc = wanted(arg);
  buffers_.push_back({desc, reserve(desc.get_size())});
  stages_.back().buffers.emplace_back(arg, buffers_.size() - 1);
  return buffers_.size() - 1;
}

void PrimitiveKernel::bind_buffer(int arg, size_t buffer) {
  if (wanted(arg) != buffers_.at(buffer).desc) {
    unavailable("a primitive of the chain wants another layout for an intermediate buffer than its writer's");
  }
  stages_.back().buffers.emplace_back(arg, buffer);
}

void PrimitiveKernel::run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const {
  const dnnl::engine& engine = cpu_engine();
  dnnl::stream& stream = thread_stream();
  std::byte* scratch = thread_scratch(scratch_bytes());
  dnnl::memory scratchpad;
  if (scratchpad_bytes_ > 0) scratchpad = dnnl::memory(bytes_desc(scratchpad_bytes_), engine, scratch + buffer_bytes_);
  auto run_reorder = [&](const dnnl::reorder& reorder, const dnnl::memory& from, const dnnl::memory& to) {
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
    reorder.execute(stream, args);
  };

  for (const Stage& stage : stages_) {
    std::unordered_map<int, dnnl::memory> args;
    for (const Binding& b : stage.inputs) {
      void* data = const_cast<void*>(in[b.index]->raw_data());  // primitives never write their sources
      if (b.prepared) {
        args.emplace(b.arg, dnnl::memory(b.wanted, engine, b.prepared.get()));
      } else if (b.reorder) {
        dnnl::memory wanted(b.wanted, engine, scratch + b.scratch_offset);
        run_reorder(*b.reorder, dnnl::memory(b.stored, engine, data), wanted);
        args.emplace(b.arg, wanted);
      } else {
        args.emplace(b.arg, dnnl::memory(b.stored, engine, data));
      }
    }
    for (const Binding& b : stage.outputs) {
      void* data = b.reorder ? scratch + b.scratch_offset : out[b.index]->raw_data();
      args.emplace(b.arg, dnnl::memory(b.wanted, engine, data));
    }
    for (auto [arg, index] : stage.buffers) {
      const Buffer& buffer = buffers_[index];
      args.emplace(arg, dnnl::memory(buffer.desc, engine, scratch + buffer.scratch_offset));
    }
    if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
    if (const auto& a = stage.accumulator) {
      run_reorder(a->copy, dnnl::memory(a->stored, engine, const_cast<void*>(in[a->index]->raw_data())),
                  args.at(DNNL_ARG_DST));
    }
    stage.primitive.execute(stream, args);
    for (const Binding& b : stage.outputs) {
      if (!b.reorder) continue;
      run_reorder(*b.reorder, args.at(b.arg), dnnl::memory(b.stored, engine, out[b.index]->raw_data()));
    }
  }
  stream.wait();
}

}  // namespace graphc::onednn
