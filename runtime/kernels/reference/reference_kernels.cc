// register_reference_kernels: one call per op family file in this folder.
#include "runtime/kernels/reference/reference_kernels.h"

namespace graphc {

void register_reference_kernels(KernelRegistry& r) {
  register_reference_graph_kernels(r);
  register_reference_elementwise_kernels(r);
  register_reference_linalg_kernels(r);
  register_reference_nn_kernels(r);
  register_reference_reduce_kernels(r);
  register_reference_shape_kernels(r);
}

}  // namespace graphc
