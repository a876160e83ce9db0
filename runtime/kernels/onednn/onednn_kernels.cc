// KernelRegistry::onednn(): one call per op family file in this folder.
#include "runtime/kernels/onednn/onednn_kernels.h"

namespace graphc {

const KernelRegistry& KernelRegistry::onednn() {
  static const KernelRegistry registry = [] {
    KernelRegistry r;
    register_onednn_elementwise_kernels(r);
    register_onednn_linalg_kernels(r);
    register_onednn_nn_kernels(r);
    register_onednn_gradient_kernels(r);
    register_onednn_rnn_kernels(r);
    register_onednn_rnn_grad_kernels(r);
    register_onednn_resize_kernels(r);
    return r;
  }();
  return registry;
}

}  // namespace graphc
