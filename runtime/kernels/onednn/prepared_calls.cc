// PreparedCalls (prepared_calls.h).
#include "runtime/kernels/onednn/prepared_calls.h"

#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc::onednn {

dnnl::memory PreparedCalls::over_tensor(const dnnl::memory::desc& desc, const Tensor* tensor) {
  void* data = const_cast<void*>(tensor->raw_data());  // primitives never write their sources
  dnnl::memory memory(desc, cpu_engine(), data);
  handles_.push_back({memory, tensor, data});
  return memory;
}

void PreparedCalls::add(const dnnl::primitive& primitive, Args args) {
  if (scratchpad_) args.emplace_back(DNNL_ARG_SCRATCHPAD, scratchpad_);
  Call& call = calls_.emplace_back();
  call.primitive = primitive.get();
  for (const auto& [arg, memory] : args) {
    call.args.push_back({arg, memory.get()});
    memories_.push_back(memory);
  }
}

void PreparedCalls::follow_tensors() {
  for (Handle& h : handles_) {
    void* data = const_cast<void*>(h.tensor->raw_data());
    if (data == h.data) continue;
    h.memory.set_data_handle(data);
    h.data = data;
  }
}

void PreparedCalls::execute(size_t begin, size_t end) const {
  dnnl::stream& stream = thread_stream();
  for (size_t i = begin; i < end; ++i) {
    const Call& c = calls_[i];
    dnnl_status_t status =
        dnnl_primitive_execute(c.primitive, stream.get(), static_cast<int>(c.args.size()), c.args.data());
    if (status != dnnl_success) throw dnnl::error(status, "could not execute a oneDNN primitive");
  }
}

void PreparedCalls::execute_all() const {
  execute(0, calls_.size());
  thread_stream().wait();
}

}  // namespace graphc::onednn
