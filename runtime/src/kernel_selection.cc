// select_kernel: optimised registries first, the reference kernel as fallback.
#include "runtime/src/kernel_selection.h"

namespace graphc {

SelectedKernel select_kernel(const KernelSpec& spec, proto::KernelChoice choice) {
  std::string reason;
  if (choice == proto::OPTIMISED_KERNEL) {
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
