// The reference kernels: plain, obviously correct loops for every op. They
// are the oracle optimised kernels are tested against and the fallback for
// any shape or dtype an optimised library does not handle.
#pragma once

#include "runtime/core/kernel.h"

namespace graphc {

/// Registers every reference kernel (called once by KernelRegistry::reference()).
void register_reference_kernels(KernelRegistry& r);

// One registration function per op family file in this folder.
void register_reference_graph_kernels(KernelRegistry& r);        // graph_kernels.cc: Identity
void register_reference_elementwise_kernels(KernelRegistry& r);  // elementwise_kernels.cc
void register_reference_linalg_kernels(KernelRegistry& r);       // linalg_kernels.cc: MatMul, Dense
void register_reference_nn_kernels(KernelRegistry& r);           // nn_kernels.cc
void register_reference_reduce_kernels(KernelRegistry& r);       // reduce_kernels.cc
void register_reference_shape_kernels(KernelRegistry& r);        // shape_kernels.cc
void register_reference_gradient_kernels(KernelRegistry& r);    // gradient_kernels.cc: backward ops
void register_reference_loss_kernels(KernelRegistry& r);        // loss_kernels.cc
void register_reference_optimizer_kernels(KernelRegistry& r);   // optimizer_kernels.cc: SGD, momentum, Adam updates
void register_reference_math_kernels(KernelRegistry& r);         // math_kernels.cc
void register_reference_logical_kernels(KernelRegistry& r);      // logical_kernels.cc
void register_reference_tensor_kernels(KernelRegistry& r);       // tensor_kernels.cc
void register_reference_arg_reduce_kernels(KernelRegistry& r);   // arg_reduce_kernels.cc
void register_reference_resize_kernels(KernelRegistry& r);       // resize_kernels.cc
void register_reference_index_kernels(KernelRegistry& r);        // index_kernels.cc: TopK, GatherND, ScatterND
void register_reference_rnn_kernels(KernelRegistry& r);          // rnn_kernels.cc: LSTM, GRU and their backward ops
void register_reference_transfer_kernel(KernelRegistry& r);      // transfer_kernel.cc: cross-device copies
void register_reference_fused_kernels(KernelRegistry& r);        // fused_kernels.cc: the fused ops, unfused

}  // namespace graphc
