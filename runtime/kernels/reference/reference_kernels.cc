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
  register_reference_gradient_kernels(r);
  register_reference_loss_kernels(r);
  register_reference_optimizer_kernels(r);
  register_reference_math_kernels(r);
  register_reference_logical_kernels(r);
  register_reference_tensor_kernels(r);
  register_reference_arg_reduce_kernels(r);
  register_reference_resize_kernels(r);
  register_reference_index_kernels(r);
  register_reference_rnn_kernels(r);
  register_reference_transfer_kernel(r);
  register_reference_fused_kernels(r);
}

}  // namespace graphc
