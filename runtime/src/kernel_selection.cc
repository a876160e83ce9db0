// select_kernel: optimised registries first, the reference kernel as fallback.
#include "runtime/src/kernel_selection.h"

#include "runtime/kernels/jit/fused_elementwise_kernel.h"
#include "runtime/src/layout_adapter.h"

namespace graphc {

namespace {

/// The first optimised kernel that accepts `spec`, or null with `reason` set.
std::unique_ptr<Kernel> optimised_kernel(const KernelSpec& spec, const GeneratedCode& generated, std::string& backend,
                                         std::string& reason) {
  if (!spec.all_plain() && !KernelRegistry::onednn().reads_layouts(spec.op())) {
    reason = "no optimised kernel reads its operands' layouts";
    return nullptr;
  }
  if (spec.op() == "FusedElementwise") {
    if (generated.library == nullptr) {
      reason = "generated code: " + generated.why_not;
      return nullptr;
    }
    try {
      backend = "generated";
      return make_fused_elementwise_kernel(spec, *generated.library);
    } catch (const KernelUnavailable& e) {
      reason = std::string("generated code: ") + e.what();
      return nullptr;
    }
  }
  if (const KernelFactory* factory = KernelRegistry::onednn().find(spec.op())) {
    try {
      backend = "onednn";
      return (*factory)(spec);
    } catch (const KernelUnavailable& e) {
      reason = std::string("oneDNN: ") + e.what();
    }
  }
  return nullptr;
}

}  // namespace

SelectedKernel select_kernel(const KernelSpec& spec, proto::KernelChoice choice, const GeneratedCode& generated) {
  std::string backend, reason;
  if (choice == proto::OPTIMISED_KERNEL) {
    if (std::unique_ptr<Kernel> kernel = optimised_kernel(spec, generated, backend, reason)) {
      return {std::move(kernel), backend, ""};
    }
  }
  KernelSpec plain{spec.attrs, spec.inputs, spec.outputs, spec.constants};
  std::unique_ptr<Kernel> reference = KernelRegistry::reference().create(plain);
  if (spec.all_plain()) return {std::move(reference), "reference", reason};
  return {std::make_unique<LayoutAdapter>(std::move(reference), spec), "reference",
          reason.empty() ? "behind layout conversions" : reason + "; behind layout conversions"};
}

}  // namespace graphc
