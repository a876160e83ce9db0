// PrimitiveKernel: a graphc Kernel that runs one oneDNN primitive, and the
// pieces every oneDNN kernel factory shares.
//
// Creation (at module load, once per step): a factory builds the primitive
// descriptor from the step's static types, then binds each primitive
// argument to a kernel input or output. Where the primitive wants another
// memory layout than the tensor's plain C order (a blocked format chosen with
// `format_tag::any`), the binding gets a reorder: done once at load for a
// constant input (weights), per run otherwise.
//
// Scratch memory and threads. run() is const and may be called from several
// sessions and threads at once, so nothing it writes may live in the kernel.
// Its per-run memory is one *scratch block* of scratch_bytes() bytes, laid
// out at creation: the primitive's scratchpad (scratchpad_mode::user, shared
// with the reorders, which run one after another) followed by the buffers of
// reordered inputs and outputs, each at a fixed, 64-byte aligned offset.
// Today the block comes from a per-thread cache (thread_scratch(): one
// growing buffer per thread, so concurrent runs on different threads never
// share one, and a thread reuses its buffer for every step); the oneDNN
// stream is per thread too. When the memory planner plans scratch space,
// the executor passes the block in instead: only the line in run() that
// fetches it changes, since the layout lives in the kernel.
//
// Every oneDNN call that fails at creation (no implementation for these
// descriptors) becomes KernelUnavailable, so the runtime falls back to the
// reference kernel instead of failing.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/core/kernel.h"

namespace graphc::onednn {

/// The process's CPU engine, created on first use.
const dnnl::engine& cpu_engine();

/// f32 memory descriptor of a dense C-order tensor of `dims`; a scalar is [1].
dnnl::memory::desc plain_desc(const Shape& dims);

/// f32 memory descriptor with explicit strides (in elements).
dnnl::memory::desc strided_desc(const Shape& dims, const Shape& strides);

/// f32 memory descriptor of `dims` whose layout the primitive chooses.
dnnl::memory::desc any_desc(const Shape& dims);

/// Primitive attributes with a user-provided scratchpad.
dnnl::primitive_attr scratchpad_attr();

/// [[noreturn]] KernelUnavailable with `reason`.
[[noreturn]] void unavailable(const std::string& reason);

/// Throws KernelUnavailable unless every input and output of `spec` is f32
/// and non-empty (oneDNN kernels here are f32 only; empty tensors are left to
/// the reference kernels).
void expect_f32_nonempty(const KernelSpec& spec);

/// spec.constants[index], or null when the input is not a known constant.
const Tensor* constant_input(const KernelSpec& spec, size_t index);

/// KernelUnavailable for a oneDNN error while creating `what`.
[[noreturn]] void unavailable(const char* what, const dnnl::error& e);

/// The primitive descriptor of `Primitive` for the descriptor make_desc()
/// returns, with scratchpad_attr() on cpu_engine(). A oneDNN error (the
/// descriptors are inconsistent, or no implementation serves them) becomes
/// KernelUnavailable naming `what`.
template <class Primitive, class MakeDesc>
typename Primitive::primitive_desc make_primitive_desc(const char* what, MakeDesc make_desc) {
  try {
    return typename Primitive::primitive_desc(make_desc(), scratchpad_attr(), cpu_engine());
  } catch (const dnnl::error& e) {
    unavailable(what, e);
  }
}

/// One growing, 64-byte aligned buffer per thread, at least `bytes` long.
std::byte* thread_scratch(size_t bytes);

/// A kernel that runs one oneDNN primitive.
class PrimitiveKernel final : public Kernel {
 public:
  /// `pd` must have been created with scratchpad_attr().
  explicit PrimitiveKernel(const dnnl::primitive_desc& pd);

  /// Binds primitive argument `arg` (DNNL_ARG_SRC, ...) to kernel input
  /// `index`, stored as `stored`. A constant (spec.constants[index]) that
  /// needs a reorder is reordered here, once.
  void bind_input(int arg, size_t index, const dnnl::memory::desc& stored, const Tensor* constant = nullptr);
  /// Binds primitive argument `arg` to kernel output `index`, stored as `stored`.
  void bind_output(int arg, size_t index, const dnnl::memory::desc& stored);

  /// Bytes of per-run scratch memory: the reorder buffers, then the scratchpad.
  size_t scratch_bytes() const;

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override;

 private:
  /// How a primitive argument meets its tensor.
  struct Binding {
    int arg = 0;
    size_t index = 0;           // kernel input or output
    dnnl::memory::desc stored;  // the tensor as it is in memory
    dnnl::memory::desc wanted;  // what the primitive reads or writes
    std::optional<dnnl::reorder> reorder = {};  // stored <-> wanted, when they differ
    size_t scratch_offset = 0;                  // of the reordered copy, when it is per run
    std::shared_ptr<std::byte> prepared = {};   // the reordered constant, when done at load
  };

  /// A per-run reorder from `from` to `to` using the shared scratchpad.
  dnnl::reorder make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to);
  /// Reserves `bytes` of reorder buffers in the scratch block; returns their offset.
  size_t reserve(size_t bytes);
  /// Grows the scratchpad to what `pd` needs.
  void fit_scratchpad(const dnnl::primitive_desc_base& pd);

  dnnl::primitive_desc pd_;
  dnnl::primitive primitive_;
  std::vector<Binding> inputs_;
  std::vector<Binding> outputs_;
  size_t buffer_bytes_ = 0;      // reorder buffers, from offset 0
  size_t scratchpad_bytes_ = 0;  // the largest scratchpad among the primitive and its reorders
};

}  // namespace graphc::onednn
