// The geometry of LSTM and GRU: see rnn_shapes.h.
#include "runtime/core/rnn_shapes.h"

#include <fmt/format.h>

namespace graphc {

Shape RnnGeometry::input(size_t index) const {
  switch (index) {
    case kRnnX: return x();
    case kRnnW: return w();
    case kRnnR: return r();
    case kRnnB: return b();
    case kRnnSequenceLens: return {batch};
    case kRnnP: return p();
    default: return state();  // initial_h, initial_c
  }
}

std::vector<Shape> RnnGeometry::outputs() const {
  std::vector<Shape> shapes{y(), state()};
  if (cell == RnnCell::lstm) shapes.push_back(state());
  return shapes;
}

const char* rnn_input_name(size_t index) {
  static const char* const names[] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
  return index < 8 ? names[index] : "?";
}

namespace {

/// What each input's dims mean, for messages.
const char* rnn_input_form(size_t index, int64_t layout) {
  switch (index) {
    case kRnnX: return layout == 0 ? "[seq_length, batch, input_size]" : "[batch, seq_length, input_size]";
    case kRnnW: return "[num_directions, gates·hidden_size, input_size]";
    case kRnnR: return "[num_directions, gates·hidden_size, hidden_size]";
    case kRnnB: return "[num_directions, 2·gates·hidden_size]";
    case kRnnSequenceLens: return "[batch]";
    case kRnnP: return "[num_directions, 3·hidden_size]";
    default: return layout == 0 ? "[num_directions, batch, hidden_size]" : "[batch, num_directions, hidden_size]";
  }
}

}  // namespace

RnnGeometryResult rnn_geometry(RnnCell cell, std::span<const Shape> inputs, const std::string& direction,
                               int64_t hidden_size, int64_t layout) {
  RnnGeometryResult result;
  RnnGeometry& g = result.geometry;
  g.cell = cell;
  if (inputs.size() < 3 || inputs.size() > g.max_inputs()) {
    result.error = fmt::format("expected 3 to {} inputs, found {}", g.max_inputs(), inputs.size());
    return result;
  }
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    result.error = fmt::format("attribute 'direction' = '{}' must be forward, reverse or bidirectional", direction);
    return result;
  }
  if (layout != 0 && layout != 1) {
    result.error = fmt::format("attribute 'layout' = {} must be 0 or 1", layout);
    return result;
  }
  if (hidden_size < 0) {
    result.error = fmt::format("attribute 'hidden_size' = {} must be >= 1 (or 0: R's last dim)", hidden_size);
    return result;
  }
  for (size_t i = 0; i < 3; ++i) {
    if (inputs[i].size() != 3) {
      result.error = fmt::format("input {} ({}) has shape {}, expected rank 3: {}", i, rnn_input_name(i),
                                 shape_to_string(inputs[i]), rnn_input_form(i, layout));
      return result;
    }
  }
  g.layout = layout;
  g.directions = direction == "bidirectional" ? 2 : 1;
  g.reverse = direction == "reverse";
  g.seq_length = inputs[kRnnX][layout == 0 ? 0 : 1];
  g.batch = inputs[kRnnX][layout == 0 ? 1 : 0];
  g.input_size = inputs[kRnnX][2];
  g.hidden = hidden_size > 0 ? hidden_size : inputs[kRnnR][2];
  if (g.hidden < 1) {
    result.error = fmt::format("hidden_size must be >= 1, found R {}", shape_to_string(inputs[kRnnR]));
    return result;
  }
  for (size_t i = 1; i < inputs.size(); ++i) {
    Shape expected = g.input(i);
    if (inputs[i] == expected) continue;
    result.error = fmt::format(
        "input {} ({}) has shape {}, expected {} = {} (gates = {}, hidden_size = {}, num_directions = {} for "
        "direction '{}', X {})",
        i, rnn_input_name(i), shape_to_string(inputs[i]), rnn_input_form(i, layout), shape_to_string(expected),
        g.gates(), g.hidden, g.directions, direction, shape_to_string(inputs[kRnnX]));
    return result;
  }
  return result;
}

std::optional<std::string> unsupported_rnn_activations(RnnCell cell, const std::vector<std::string>& activations,
                                                       int64_t directions) {
  if (activations.empty()) return std::nullopt;
  std::vector<std::string> defaults = cell == RnnCell::lstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                                            : std::vector<std::string>{"Sigmoid", "Tanh"};
  std::vector<std::string> expected;
  for (int64_t d = 0; d < directions; ++d) expected.insert(expected.end(), defaults.begin(), defaults.end());
  if (activations == expected) return std::nullopt;
  return fmt::format("attribute 'activations' = [{}] is not supported: only the defaults [{}] (one list per "
                     "direction) are",
                     fmt::join(activations, ", "), fmt::join(expected, ", "));
}

const float* dense_output_grad(const Tensor& grad, int64_t count, std::vector<float>& dense) {
  if (!grad.shape().empty()) return grad.data<float>();
  dense.assign(static_cast<size_t>(count), grad.data<float>()[0]);
  return dense.data();
}

}  // namespace graphc
