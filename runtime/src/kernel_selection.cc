// select_kernel: optimised registries first, the reference kernel as fallback.
#include "runtime/src/kernel_selection.h"

#include "runtime/kernels/jit/fused_elementwise_kernel.h"

namespace graphc {

SelectedKernel select_kernel(const KernelSpec& spec, proto::KernelChoice choice, const GeneratedCode& generated) {
  std::string reason;
  if (choice == proto::OPTIMISED_KERNEL && spec.op() == "FusedElementwise") {
    if (generated.library == nullptr) {
      reason = "generated code: " + generated.why_not;
    } else {
      try {
        return {make_fused_elementwise_kernel(spec, *generated.library), "generated", ""};
      } catch (const KernelUnavailable& e) {
        reason = std::string("generated code: ") + e.what();
      }
    }
  } else if (choice == proto::OPTIMISED_KERNEL) {
    if (const KernelFactory* factory = KernelRegistry::onednn().find(spec.op())) {
      try {
        return {(*factory)(spec), "onednn", ""};
      } catch (const KernelUnavailable& e) {
        reason = std::string("oneDNN: ") + e.what();
      }
    }
  }
  return {KernelRegistry::reference().create(spec), "reference", reason};
}

}  // namespace graphc
