// The shared pieces of the oneDNN RNN kernels (rnn_primitives.h).
#include "runtime/kernels/onednn/rnn_primitives.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc::onednn {
namespace {

using dnnl::memory;

/// oneDNN's gate g takes ONNX's gate kLstmGateOrder[g] (LSTM; GRU keeps its order).
constexpr int64_t kLstmGateOrder[] = {0, 2, 3, 1};
/// oneDNN's peephole k (i, f, o) takes ONNX's P row kPeepholeOrder[k] (i, o, f).
constexpr int64_t kPeepholeOrder[] = {0, 2, 1};

memory::desc f32_desc(const memory::dims& dims, memory::format_tag tag) {
  return memory::desc(dims, memory::data_type::f32, tag);
}

}  // namespace

int64_t RnnShape::onnx_gate(int64_t gate) const { return g.cell == RnnCell::lstm ? kLstmGateOrder[gate] : gate; }

RnnShape checked_rnn_shape(const KernelSpec& spec, RnnCell cell, size_t first) {
  for (size_t i = first; i < spec.inputs.size(); ++i) {
    if (i != first + kRnnSequenceLens && spec.inputs[i].dtype != DType::f32) unavailable("an input is not f32");
  }
  std::vector<Shape> shapes;
  for (size_t i = first; i < spec.inputs.size(); ++i) shapes.push_back(spec.inputs[i].shape);
  RnnGeometryResult result = rnn_geometry(cell, shapes, spec.attrs.get_string("direction"),
                                          spec.attrs.get_int("hidden_size"), spec.attrs.get_int("layout"));
  if (!result.error.empty()) unavailable(result.error);
  const RnnGeometry& g = result.geometry;
  if (g.seq_length == 0 || g.batch == 0 || g.input_size == 0) unavailable("an empty X");
  if (unsupported_rnn_activations(cell, spec.attrs.get_strings("activations"), g.directions)) {
    unavailable("activations other than the defaults");
  }
  if (spec.attrs.has("clip")) unavailable("clip: oneDNN's RNN primitives do not clip");
  if (cell == RnnCell::lstm && spec.attrs.get_bool("input_forget")) {
    unavailable("input_forget: oneDNN's LSTM has no coupled gates");
  }
  if (spec.inputs.size() > first + kRnnSequenceLens) {
    const Tensor* lengths = constant_input(spec, first + kRnnSequenceLens);
    if (lengths == nullptr) unavailable("sequence_lens is not a module constant");
    for (int64_t n = 0; n < g.batch; ++n) {
      int64_t len = lengths->dtype() == DType::i32 ? lengths->data<int32_t>()[n] : lengths->data<int64_t>()[n];
      if (len != g.seq_length) {
        unavailable(fmt::format("sequence_lens[{}] = {} is not seq_length {}: oneDNN runs every sequence to the end",
                                n, len, g.seq_length));
      }
    }
  }
  RnnShape shape{g};
  if (cell == RnnCell::gru) shape.linear_before_reset = spec.attrs.get_bool("linear_before_reset");
  return shape;
}

void arrange_parameters(const RnnShape& shape, int64_t d, const float* w, const float* r, const float* b,
                        const float* p, const ArrangedParameters& to) {
  const RnnGeometry& g = shape.g;
  const int64_t G = g.gates(), H = g.hidden, I = g.input_size;
  w += d * G * H * I;
  r += d * G * H * H;
  for (int64_t gate = 0; gate < G; ++gate) {
    int64_t row0 = shape.onnx_gate(gate) * H;
    for (int64_t o = 0; o < H; ++o) {
      for (int64_t i = 0; i < I; ++i) to.weights_layer[(i * G + gate) * H + o] = w[(row0 + o) * I + i];
      for (int64_t k = 0; k < H; ++k) to.weights_iter[(k * G + gate) * H + o] = r[(row0 + o) * H + k];
    }
  }
  std::fill_n(to.bias, shape.bias_gates() * H, 0.0f);
  if (b != nullptr) {
    const float* wb = b + d * 2 * G * H;
    const float* rb = wb + G * H;
    for (int64_t gate = 0; gate < G; ++gate) {
      int64_t row0 = shape.onnx_gate(gate) * H;
      bool apart = shape.linear_before_reset && gate == 2;  // Rb_h is the fourth bias gate
      for (int64_t o = 0; o < H; ++o) to.bias[gate * H + o] = wb[row0 + o] + (apart ? 0.0f : rb[row0 + o]);
    }
    if (shape.linear_before_reset) std::copy_n(rb + 2 * H, H, to.bias + 3 * H);
  }
  if (p != nullptr && to.peephole != nullptr) {
    for (int64_t k = 0; k < 3; ++k) std::copy_n(p + (d * 3 + kPeepholeOrder[k]) * H, H, to.peephole + k * H);
  }
}

void scatter_parameter_gradients(const RnnShape& shape, int64_t d, const ArrangedParameters& from, float* dw,
                                 float* dr, float* db, float* dp) {
  const RnnGeometry& g = shape.g;
  const int64_t G = g.gates(), H = g.hidden, I = g.input_size;
  dw += d * G * H * I;
  dr += d * G * H * H;
  float* dwb = db + d * 2 * G * H;
  float* drb = dwb + G * H;
  for (int64_t gate = 0; gate < G; ++gate) {
    int64_t row0 = shape.onnx_gate(gate) * H;
    bool apart = shape.linear_before_reset && gate == 2;
    for (int64_t o = 0; o < H; ++o) {
      for (int64_t i = 0; i < I; ++i) dw[(row0 + o) * I + i] = from.weights_layer[(i * G + gate) * H + o];
      for (int64_t k = 0; k < H; ++k) dr[(row0 + o) * H + k] = from.weights_iter[(k * G + gate) * H + o];
      // A summed bias gate passes its gradient to both Wb and Rb.
      dwb[row0 + o] = from.bias[gate * H + o];
      drb[row0 + o] = apart ? from.bias[3 * H + o] : from.bias[gate * H + o];
    }
  }
  if (dp != nullptr && from.peephole != nullptr) {
    for (int64_t k = 0; k < 3; ++k) std::copy_n(from.peephole + k * H, H, dp + (d * 3 + kPeepholeOrder[k]) * H);
  }
}

RnnDescs::RnnDescs(const RnnShape& shape, bool has_peephole) {
  const RnnGeometry& g = shape.g;
  const int64_t G = g.gates(), H = g.hidden, N = g.batch, T = g.seq_length, I = g.input_size;
  src_layer = f32_desc({T, N, I}, memory::format_tag::tnc);
  dst_layer = f32_desc({T, N, H}, memory::format_tag::tnc);
  state = f32_desc({1, 1, N, H}, memory::format_tag::ldnc);
  layer_plain = f32_desc({1, 1, I, G, H}, memory::format_tag::ldigo);
  iter_plain = f32_desc({1, 1, H, G, H}, memory::format_tag::ldigo);
  layer_any = any_desc(layer_plain.dims());
  iter_any = any_desc(iter_plain.dims());
  bias = f32_desc({1, 1, shape.bias_gates(), H}, memory::format_tag::ldgo);
  if (has_peephole) peephole = f32_desc({1, 1, 3, H}, memory::format_tag::ldgo);
}

namespace {

/// rnn_forward_pd of a GRU cell (both variants take the same arguments).
template <class Forward>
dnnl::primitive_desc gru_forward_pd(const char* what, const RnnDescs& m, dnnl::prop_kind prop,
                                    dnnl::rnn_direction direction) {
  return make_primitive_desc<Forward>(what, [&] {
    return typename Forward::desc(prop, direction, m.src_layer, m.state, m.layer_any, m.iter_any, m.bias, m.dst_layer,
                                  m.state);
  });
}

}  // namespace

dnnl::primitive_desc rnn_forward_pd(const RnnShape& shape, const RnnDescs& m, dnnl::prop_kind prop,
                                    bool right_to_left) {
  dnnl::rnn_direction direction = rnn_direction_of(right_to_left);
  if (shape.g.cell == RnnCell::lstm) {
    return make_primitive_desc<dnnl::lstm_forward>("LSTM", [&] {
      return dnnl::lstm_forward::desc(prop, direction, m.src_layer, m.state, m.state, m.layer_any, m.iter_any,
                                      m.peephole, m.bias, m.dst_layer, m.state, m.state);
    });
  }
  if (shape.linear_before_reset) {
    return gru_forward_pd<dnnl::lbr_gru_forward>("linear-before-reset GRU", m, prop, direction);
  }
  return gru_forward_pd<dnnl::gru_forward>("GRU", m, prop, direction);
}

void x_to_tnc(const RnnGeometry& g, const float* x, float* tnc) {
  const int64_t N = g.batch, I = g.input_size;
  for (int64_t t = 0; t < g.seq_length; ++t) {
    for (int64_t n = 0; n < N; ++n) std::copy_n(x + g.x_at(t, n), I, tnc + (t * N + n) * I);
  }
}

void gather_state(const RnnGeometry& g, int64_t d, const float* state, float* to) {
  auto h = static_cast<size_t>(g.hidden);
  for (int64_t n = 0; n < g.batch; ++n) {
    if (state != nullptr) {
      std::copy_n(state + g.state_at(d, n), h, to + n * g.hidden);
    } else {
      std::fill_n(to + n * g.hidden, h, 0.0f);
    }
  }
}

}  // namespace graphc::onednn
