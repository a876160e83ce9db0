// What the oneDNN kernels of LSTM and GRU (rnn_kernels.cc) and of their
// gradients LSTMGrad and GRUGrad (rnn_grad_kernels.cc) share: the checks of
// what oneDNN serves, the memory descriptors, the forward primitive of one
// direction, the parameters moved between ONNX's order and oneDNN's (and
// their gradients back), the sequences moved between the ONNX layouts and
// oneDNN's [T, N, C] (tnc), and the kernels' common frame (RnnScratchKernel).
//
// One primitive per direction (left-to-right, or right-to-left for
// "reverse" and the second direction of "bidirectional"): oneDNN's
// bidirectional_concat would give Y as [T, N, 2H], ONNX wants [T, D, N, H].
//
// The parameters: ONNX's gates i, o, f, c (LSTM) become oneDNN's i, f, c, o
// and z, r, h (GRU) stay u, r, o; W [G·H, I] becomes weights_layer ldigo
// [1, 1, I, G, H] (R likewise weights_iter), the bias sums Wb and Rb per gate
// (linear_before_reset keeps Rb_h apart as a fourth bias gate), and the
// peepholes go from i, o, f to i, f, o.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "runtime/core/kernel.h"
#include "runtime/core/rnn_shapes.h"
#include "runtime/kernels/onednn/scratch_layout.h"

namespace graphc::onednn {

/// The geometry and the cell's variant.
struct RnnShape {
  RnnGeometry g;
  bool linear_before_reset = false;

  int64_t bias_gates() const { return g.gates() + (linear_before_reset ? 1 : 0); }
  /// ONNX's gate for oneDNN's gate `gate`.
  int64_t onnx_gate(int64_t gate) const;
};

/// The shape of the LSTM/GRU whose inputs are spec.inputs[first...] (0 for
/// the forward op; the backward ops take the output gradients first).
/// Throws KernelUnavailable for what oneDNN does not serve: a non-f32 input,
/// an empty X, clip, input_forget, non-default activations, sequence_lens
/// that are not a constant equal to seq_length for every sequence.
RnnShape checked_rnn_shape(const KernelSpec& spec, RnnCell cell, size_t first);

/// One direction's parameters in oneDNN's plain layouts.
struct ArrangedParameters {
  float* weights_layer;  // ldigo [1, 1, I, G, H]
  float* weights_iter;   // ldigo [1, 1, H, G, H]
  float* bias;           // ldgo [1, 1, G (+1 for linear_before_reset), H]
  float* peephole;       // ldgo [1, 1, 3, H], or null
};

/// Writes direction d of W, R, B (may be null) and P (may be null) into `to`.
void arrange_parameters(const RnnShape& shape, int64_t d, const float* w, const float* r, const float* b,
                        const float* p, const ArrangedParameters& to);

/// The inverse for gradients: writes direction d's rows of dW, dR, dB (Wb
/// and Rb, which share a summed gate's gradient) and dP (may be null) from
/// `from`.
void scatter_parameter_gradients(const RnnShape& shape, int64_t d, const ArrangedParameters& from, float* dw,
                                 float* dr, float* db, float* dp);

/// The memory descriptors of one direction's primitives, all f32.
struct RnnDescs {
  RnnDescs(const RnnShape& shape, bool has_peephole);

  dnnl::memory::desc src_layer;    // tnc [T, N, I]
  dnnl::memory::desc dst_layer;    // tnc [T, N, H]
  dnnl::memory::desc state;        // ldnc [1, 1, N, H]
  dnnl::memory::desc layer_plain;  // ldigo [1, 1, I, G, H]
  dnnl::memory::desc iter_plain;   // ldigo [1, 1, H, G, H]
  dnnl::memory::desc layer_any, iter_any;  // the same dims, layout left to the primitive
  dnnl::memory::desc bias;         // ldgo
  dnnl::memory::desc peephole;     // ldgo [1, 1, 3, H], or empty
};

/// The forward primitive descriptor of one direction, `prop` being
/// forward_inference or forward_training; weights in the layout it chooses.
dnnl::primitive_desc rnn_forward_pd(const RnnShape& shape, const RnnDescs& descs, dnnl::prop_kind prop,
                                    bool right_to_left);

/// True when direction d runs right to left.
inline bool right_to_left(const RnnGeometry& g, int64_t d) { return g.reverse || d == 1; }
/// oneDNN's name for one direction.
inline dnnl::rnn_direction rnn_direction_of(bool right_to_left) {
  return right_to_left ? dnnl::rnn_direction::unidirectional_right2left
                       : dnnl::rnn_direction::unidirectional_left2right;
}

/// X (either layout) as tnc [T, N, I].
void x_to_tnc(const RnnGeometry& g, const float* x, float* tnc);
/// Direction d's initial state (zeros when `state` is null) as [N, H].
void gather_state(const RnnGeometry& g, int64_t d, const float* state, float* to);

/// An RNN kernel whose Derived::Bound (one session's step, built from the
/// kernel and a KernelBinding) does the work over a scratch block laid out
/// by the constructor in scratch_: bind() makes one over the session's
/// planned block, run() one over a block allocated for the call.
template <class Derived>
class RnnScratchKernel : public Kernel {
 public:
  size_t scratch_bytes() const override { return scratch_.bytes(); }

  std::unique_ptr<BoundKernel> bind(const KernelBinding& binding) const override {
    return std::make_unique<typename Derived::Bound>(static_cast<const Derived&>(*this), binding);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    Tensor scratch(DType::i8, {static_cast<int64_t>(std::max<size_t>(scratch_.bytes(), 1))});
    typename Derived::Bound(static_cast<const Derived&>(*this), {in, out, static_cast<std::byte*>(scratch.raw_data())})
        .run();
  }

 protected:
  ScratchLayout scratch_;
};

/// Kernel input `index` as floats, or null when absent.
inline const float* optional_input(std::span<const Tensor* const> in, size_t index) {
  return index < in.size() ? in[index]->data<float>() : nullptr;
}

}  // namespace graphc::onednn
