// The oneDNN kernels: f32 ops run through oneDNN primitives, created once when
// a module loads. Each factory throws KernelUnavailable for a spec oneDNN does
// not serve, and the runtime falls back to the reference kernel.
#pragma once

#include "runtime/core/kernel.h"

namespace graphc {

// One registration function per op family file in this folder.
void register_onednn_elementwise_kernels(KernelRegistry& r);  // elementwise_kernels.cc
void register_onednn_linalg_kernels(KernelRegistry& r);       // linalg_kernels.cc: MatMul, Dense
void register_onednn_nn_kernels(KernelRegistry& r);           // nn_kernels.cc
void register_onednn_gradient_kernels(KernelRegistry& r);     // gradient_kernels.cc: backward ops
void register_onednn_rnn_kernels(KernelRegistry& r);          // rnn_kernels.cc: LSTM, GRU
void register_onednn_rnn_grad_kernels(KernelRegistry& r);     // rnn_grad_kernels.cc: LSTMGrad, GRUGrad
void register_onednn_resize_kernels(KernelRegistry& r);       // resize_kernels.cc: Resize, ResizeGrad

}  // namespace graphc
