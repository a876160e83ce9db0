// The kernel interface and the registry that creates kernels by op name.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "graphc/tensor.h"
#include "runtime/core/attr_map.h"
#include "runtime/core/layout.h"

namespace graphc {

/// What one session gives one step's kernel, fixed for the session's life:
/// the step's argument lists (the Tensor objects outlive the binding, keep
/// their types, and are not touched while the step runs; their data
/// pointers may change between runs, e.g. when a caller assigns a new
/// tensor to a session input) and the step's scratch memory.
struct KernelBinding {
  std::span<const Tensor* const> inputs;
  std::span<Tensor* const> outputs;
  /// Kernel::scratch_bytes() bytes, 64-byte aligned (null when that is 0).
  /// While the step runs no other step of any run may touch them; between
  /// runs other steps use them (runtime/core/scratch_plan.h).
  std::byte* scratch = nullptr;
};

/// A kernel bound to one session's step (Kernel::bind): what it can set up
/// once per session (e.g. oneDNN memory objects and argument lists) is set
/// up, so run() only computes. One thread at a time calls run(), not always
/// the same one.
class BoundKernel {
 public:
  virtual ~BoundKernel() = default;
  virtual void run() = 0;
};

/// One op's computation, created once per step when a module loads. run() is
/// const and may be called from several sessions at once; every buffer it
/// writes is an output the executor preallocated with the static type the
/// compiler inferred.
///
/// A kernel that needs per-run memory besides its outputs (a oneDNN
/// primitive's scratchpad, reordered activations) says how much in
/// scratch_bytes(); a session gives each step that much planned scratch
/// and calls bind() once per step. Kernels that need neither (most
/// reference kernels) override only run().
class Kernel {
 public:
  virtual ~Kernel() = default;
  /// A self-contained run over these tensors: what the executor does for a
  /// kernel bind() returns null for, and what tests and constant folding
  /// call. A kernel with scratch allocates it here, per call.
  virtual void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const = 0;
  /// Bytes of scratch memory a run needs (KernelBinding::scratch).
  virtual size_t scratch_bytes() const { return 0; }
  /// The kernel bound to one session's step, or null: the executor then
  /// calls run(binding.inputs, binding.outputs), and the scratch is unused.
  virtual std::unique_ptr<BoundKernel> bind(const KernelBinding& binding) const {
    (void)binding;
    return nullptr;
  }
};

/// What a kernel factory sees: the step's op, attributes (complete, defaults
/// filled in) and the static types of its inputs and outputs.
struct KernelSpec {
  const AttrMap& attrs;
  std::span<const TensorType> inputs;
  std::span<const TensorType> outputs;
  /// Per input, its value when it is a module constant that never changes
  /// (null otherwise; empty when the caller knows none), so that a kernel
  /// can prepare it once at load (e.g. reorder weights into a blocked layout).
  std::span<const Tensor* const> constants = {};
  /// Per input and output, how it is stored (runtime/core/layout.h); empty
  /// means all plain. Only a factory registered as reading layouts is given
  /// a spec with channels-last operands (KernelRegistry::add).
  std::span<const Layout> input_layouts = {};
  std::span<const Layout> output_layouts = {};

  Layout input_layout(size_t i) const { return i < input_layouts.size() ? input_layouts[i] : Layout::plain; }
  Layout output_layout(size_t i) const { return i < output_layouts.size() ? output_layouts[i] : Layout::plain; }
  /// Whether every operand is plain.
  bool all_plain() const;

  const std::string& node() const { return attrs.node(); }
  const std::string& op() const { return attrs.op(); }
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const KernelSpec&)>;

/// Thrown by an optimised kernel factory that cannot provide a kernel for a
/// spec it is given (a dtype, shape or attribute its library does not
/// handle); what() says why. The runtime then uses the reference kernel and
/// records the reason (runtime/src/kernel_selection.h). A spec that is
/// invalid for the op itself is a graphc::Error, as from the reference.
class KernelUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Kernel factories by op name. `reference()` holds the plain, obviously
/// correct kernel of every op: the oracle optimised kernels are tested against.
/// `onednn()` holds kernels built on oneDNN primitives for the ops and types
/// oneDNN serves; its factories throw KernelUnavailable for the rest.
class KernelRegistry {
 public:
  static const KernelRegistry& reference();
  static const KernelRegistry& onednn();  // runtime/kernels/onednn/onednn_kernels.cc

  /// Registers `op`'s factory; `reads_layouts`: it honours the spec's
  /// layouts, so it may be given channels-last operands.
  void add(const std::string& op, KernelFactory factory, bool reads_layouts = false);
  /// Null when no kernel is registered for `op`.
  const KernelFactory* find(const std::string& op) const;
  /// Whether `op`'s factory was registered as reading layouts.
  bool reads_layouts(const std::string& op) const;
  /// Creates the kernel for a step; throws graphc::Error naming the node.
  std::unique_ptr<Kernel> create(const KernelSpec& spec) const;

  std::vector<std::string> ops() const;

 private:
  struct Entry {
    KernelFactory factory;
    bool reads_layouts = false;
  };
  std::map<std::string, Entry> factories_;
};

/// A kernel defined by a function, for ops whose kernel needs no state
/// beyond the spec it was created from.
template <class Fn>
class FunctionKernel final : public Kernel {
 public:
  explicit FunctionKernel(Fn fn) : fn_(std::move(fn)) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override {
    fn_(inputs, outputs);
  }

 private:
  Fn fn_;
};

template <class Fn>
std::unique_ptr<Kernel> make_kernel(Fn fn) {
  return std::make_unique<FunctionKernel<Fn>>(std::move(fn));
}

}  // namespace graphc
