// The geometry of the recurrent ops LSTM and GRU (ONNX semantics) and of
// their gradients: which input is which, the shapes each must have, and the
// shapes of the outputs. Shared by shape inference (compiler/ops/rnn_ops.cc)
// and the kernels (reference and oneDNN), so all agree by construction.
//
// Inputs, in order (optional ones may be omitted from the end):
//   X [T, N, I] (layout 0) or [N, T, I] (layout 1)
//   W [D, G·H, I], R [D, G·H, H], B [D, 2·G·H] (Wb then Rb)
//   sequence_lens [N] (i32/i64), initial_h [D, N, H] (layout 1: [N, D, H])
//   LSTM only: initial_c like initial_h, P [D, 3·H] (peepholes i, o, f)
// with G = 4 gates for LSTM (ONNX order i, o, f, c) and 3 for GRU (z, r, h),
// D = 2 for "bidirectional", else 1.
// Outputs: Y [T, D, N, H] (layout 1: [N, T, D, H]), Y_h like initial_h, and
// for LSTM Y_c like initial_c.
//
// LSTMGrad/GRUGrad take the gradients of those outputs first, each either
// of the output's shape or an f32 scalar standing for its value everywhere
// (the gradient builder passes 0 for an output no gradient flows into, so
// no zero tensor of Y's size is built).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

enum class RnnCell { lstm, gru };

/// Input positions of the recurrent ops.
enum RnnInput : size_t { kRnnX = 0, kRnnW, kRnnR, kRnnB, kRnnSequenceLens, kRnnInitialH, kRnnInitialC, kRnnP };

struct RnnGeometry {
  RnnCell cell = RnnCell::lstm;
  int64_t seq_length = 0;  // T
  int64_t batch = 0;       // N
  int64_t input_size = 0;  // I
  int64_t hidden = 0;      // H
  int64_t directions = 1;  // D
  int64_t layout = 0;      // 0: time-major, 1: batch-major
  bool reverse = false;    // direction "reverse" (with D = 1)

  int64_t gates() const { return cell == RnnCell::lstm ? 4 : 3; }
  /// The most inputs the op takes: 8 for LSTM, 6 for GRU.
  size_t max_inputs() const { return cell == RnnCell::lstm ? 8 : 6; }
  /// The number of outputs: Y, Y_h (and Y_c for LSTM).
  size_t num_outputs() const { return cell == RnnCell::lstm ? 3 : 2; }

  Shape x() const { return layout == 0 ? Shape{seq_length, batch, input_size} : Shape{batch, seq_length, input_size}; }
  Shape w() const { return {directions, gates() * hidden, input_size}; }
  Shape r() const { return {directions, gates() * hidden, hidden}; }
  Shape b() const { return {directions, 2 * gates() * hidden}; }
  Shape p() const { return {directions, 3 * hidden}; }
  /// initial_h, initial_c, Y_h, Y_c.
  Shape state() const { return layout == 0 ? Shape{directions, batch, hidden} : Shape{batch, directions, hidden}; }
  Shape y() const {
    return layout == 0 ? Shape{seq_length, directions, batch, hidden} : Shape{batch, seq_length, directions, hidden};
  }
  /// The expected shape of float input `index` (not sequence_lens).
  Shape input(size_t index) const;
  /// The output shapes: Y, Y_h (, Y_c).
  std::vector<Shape> outputs() const;

  // Offsets of rows in the layout's tensors, in elements.
  int64_t x_at(int64_t t, int64_t n) const { return (layout == 0 ? t * batch + n : n * seq_length + t) * input_size; }
  int64_t state_at(int64_t d, int64_t n) const { return (layout == 0 ? d * batch + n : n * directions + d) * hidden; }
  int64_t y_at(int64_t t, int64_t d, int64_t n) const {
    return (layout == 0 ? (t * directions + d) * batch + n : (n * seq_length + t) * directions + d) * hidden;
  }
};

/// Whether `given` may be the shape of the gradient of a forward output of
/// shape `output`: the same, or a scalar.
inline bool rnn_output_grad_fits(const Shape& given, const Shape& output) { return given.empty() || given == output; }

/// An output gradient as `count` dense values: its own data, or `dense`
/// filled with its value when it is a scalar.
const float* dense_output_grad(const Tensor& grad, int64_t count, std::vector<float>& dense);

/// The name of input `index` ("X", "W", ..., "P").
const char* rnn_input_name(size_t index);

/// The geometry the input shapes give under the attributes `direction`
/// ("forward", "reverse" or "bidirectional"), `hidden_size` (0: R's last
/// dim) and `layout` (0 or 1), or a message saying what is wrong (naming the
/// input, the shape found and the shape expected). `inputs` are the shapes of
/// the inputs present, at most geometry.max_inputs(), at least X, W and R.
struct RnnGeometryResult {
  RnnGeometry geometry;
  std::string error;  // empty when the shapes fit
};
RnnGeometryResult rnn_geometry(RnnCell cell, std::span<const Shape> inputs, const std::string& direction,
                               int64_t hidden_size, int64_t layout);

/// A message when `activations` is not empty and not the cell's default
/// functions for each of the `directions` (LSTM: Sigmoid, Tanh, Tanh; GRU:
/// Sigmoid, Tanh), the only ones supported; std::nullopt otherwise.
std::optional<std::string> unsupported_rnn_activations(RnnCell cell, const std::vector<std::string>& activations,
                                                       int64_t directions);

}  // namespace graphc
