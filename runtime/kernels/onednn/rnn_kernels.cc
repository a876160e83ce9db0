// oneDNN kernels of LSTM and GRU (ONNX semantics, docs/ops.md) on the
// lstm_forward, gru_forward and lbr_gru_forward primitives (inference).
//
// One primitive per direction (left-to-right, or right-to-left for
// "reverse" and the second direction of "bidirectional"): oneDNN's
// bidirectional_concat would give Y as [T, N, 2H], ONNX wants [T, D, N, H].
// Each primitive reads X as [T, N, I] (tnc) and writes its [T, N, H] into the
// scratch block, from where it is copied into Y's rows for that direction
// (layout 0 or 1); the states go through [1, 1, N, H] (ldnc) buffers the
// same way. X of layout 1 is transposed into the scratch block first.
//
// The parameters are rearranged into oneDNN's order: ONNX's gates i, o, f, c
// (LSTM) become i, f, c, o and z, r, h (GRU) stay u, r, o; W [G·H, I]
// becomes weights_layer ldigo [1, 1, I, G, H] (R likewise weights_iter),
// the bias sums Wb and Rb per gate (linear_before_reset keeps Rb_h apart as
// a fourth bias gate), and the peepholes go from i, o, f to i, f, o. Then
// the weights are reordered into the layout the primitive chose
// (`format_tag::any`). When W, R, B and P are all module constants this is
// done once at load, else per run in the scratch block.
//
// Not served (the reference kernel runs, with the reason recorded): clip,
// input_forget, sequence_lens that are not a constant equal to seq_length
// for every sequence, non-default activations.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "runtime/core/rnn_shapes.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc {
namespace {

using dnnl::memory;

constexpr size_t kAlignment = 64;

size_t aligned(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

/// oneDNN's gate g takes ONNX's gate kGateOrder[g] (LSTM; GRU keeps its order).
constexpr int64_t kLstmGateOrder[] = {0, 2, 3, 1};
/// oneDNN's peephole k (i, f, o) takes ONNX's P row kPeepholeOrder[k] (i, o, f).
constexpr int64_t kPeepholeOrder[] = {0, 2, 1};

/// One direction's parameters in oneDNN's plain layouts.
struct ArrangedParameters {
  float* weights_layer;  // ldigo [1, 1, I, G, H]
  float* weights_iter;   // ldigo [1, 1, H, G, H]
  float* bias;           // ldgo [1, 1, G (+1 for linear_before_reset), H]
  float* peephole;       // ldgo [1, 1, 3, H], or null
};

/// The geometry and the cell's variant.
struct RnnShape {
  RnnGeometry g;
  bool linear_before_reset = false;

  int64_t bias_gates() const { return g.gates() + (linear_before_reset ? 1 : 0); }
  int64_t onnx_gate(int64_t gate) const { return g.cell == RnnCell::lstm ? kLstmGateOrder[gate] : gate; }
};

/// Writes direction d of W, R, B (may be null) and P (may be null) into `to`.
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

class RnnPrimitiveKernel final : public Kernel {
 public:
  RnnPrimitiveKernel(const KernelSpec& spec, RnnCell cell) {
    shape_ = checked_shape(spec, cell);
    const RnnGeometry& g = shape_.g;
    has_bias_ = spec.inputs.size() > kRnnB;
    has_peephole_ = spec.inputs.size() > kRnnP;
    const int64_t G = g.gates(), H = g.hidden, N = g.batch, T = g.seq_length, I = g.input_size;

    src_layer_ = memory::desc({T, N, I}, memory::data_type::f32, memory::format_tag::tnc);
    dst_layer_ = memory::desc({T, N, H}, memory::data_type::f32, memory::format_tag::tnc);
    state_ = memory::desc({1, 1, N, H}, memory::data_type::f32, memory::format_tag::ldnc);
    layer_plain_ = memory::desc({1, 1, I, G, H}, memory::data_type::f32, memory::format_tag::ldigo);
    iter_plain_ = memory::desc({1, 1, H, G, H}, memory::data_type::f32, memory::format_tag::ldigo);
    bias_ = memory::desc({1, 1, shape_.bias_gates(), H}, memory::data_type::f32, memory::format_tag::ldgo);
    if (has_peephole_) peephole_ = memory::desc({1, 1, 3, H}, memory::data_type::f32, memory::format_tag::ldgo);

    for (int64_t d = 0; d < g.directions; ++d) directions_.push_back(make_direction(g.reverse || d == 1));

    // The scratch block: X transposed (layout 1), the states, Y of one
    // direction, then (parameters per run) the arranged and reordered
    // parameters, then the scratchpad.
    auto floats = [](int64_t n) { return aligned(static_cast<size_t>(n) * sizeof(float)); };
    if (g.layout == 1) src_offset_ = reserve(floats(T * N * I));
    for (size_t& offset : state_offsets_) offset = reserve(floats(N * H));
    dst_offset_ = reserve(floats(T * N * H));

    auto constant = [&](size_t i) { return onednn::constant_input(spec, i) != nullptr; };
    bool constant_parameters = constant(kRnnW) && constant(kRnnR) && (!has_bias_ || constant(kRnnB)) &&
                               (!has_peephole_ || constant(kRnnP));
    if (constant_parameters) {
      for (int64_t d = 0; d < g.directions; ++d) prepare(spec, d);
    } else {
      arranged_offsets_[0] = reserve(layer_plain_.get_size());
      arranged_offsets_[1] = reserve(iter_plain_.get_size());
      arranged_offsets_[2] = reserve(bias_.get_size());
      arranged_offsets_[3] = has_peephole_ ? reserve(peephole_.get_size()) : 0;
      size_t layer = 0, iter = 0;
      for (const Direction& dir : directions_) {
        layer = std::max(layer, dir.layer_wanted.get_size());
        iter = std::max(iter, dir.iter_wanted.get_size());
      }
      reordered_offsets_[0] = reserve(layer);
      reordered_offsets_[1] = reserve(iter);
    }
  }

  /// The buffers, then the scratchpad (KernelBinding::scratch).
  size_t scratch_bytes() const override { return buffer_bytes_ + scratchpad_bytes_; }

  std::unique_ptr<BoundKernel> bind(const KernelBinding& binding) const override {
    return std::make_unique<Bound>(*this, binding);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    Tensor scratch(DType::i8, {static_cast<int64_t>(std::max<size_t>(scratch_bytes(), 1))});
    run_with(in, out, static_cast<std::byte*>(scratch.raw_data()));
  }

 private:
  /// One session's step: its planned scratch block.
  class Bound final : public BoundKernel {
   public:
    Bound(const RnnPrimitiveKernel& kernel, const KernelBinding& binding) : kernel_(kernel), binding_(binding) {}
    void run() override { kernel_.run_with(binding_.inputs, binding_.outputs, binding_.scratch); }

   private:
    const RnnPrimitiveKernel& kernel_;
    KernelBinding binding_;
  };

  void run_with(std::span<const Tensor* const> in, std::span<Tensor* const> out, std::byte* scratch) const {
    const RnnGeometry& g = shape_.g;
    const dnnl::engine& engine = onednn::cpu_engine();
    dnnl::stream& stream = onednn::thread_stream();
    auto at = [&](size_t offset) { return reinterpret_cast<float*>(scratch + offset); };
    dnnl::memory scratchpad;
    if (scratchpad_bytes_ > 0) {
      scratchpad = memory(memory::desc({static_cast<memory::dim>(scratchpad_bytes_)}, memory::data_type::u8,
                                       memory::format_tag::x),
                          engine, scratch + buffer_bytes_);
    }
    const int64_t N = g.batch, H = g.hidden, T = g.seq_length, I = g.input_size;
    auto h = static_cast<size_t>(H);

    const float* x = in[kRnnX]->data<float>();
    if (g.layout == 1) {
      float* tnc = at(src_offset_);
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = 0; n < N; ++n) std::copy_n(x + g.x_at(t, n), I, tnc + (t * N + n) * I);
      }
      x = tnc;
    }
    float* src_iter = at(state_offsets_[0]);
    float* src_iter_c = at(state_offsets_[1]);
    float* dst_iter = at(state_offsets_[2]);
    float* dst_iter_c = at(state_offsets_[3]);
    float* dst = at(dst_offset_);

    for (int64_t d = 0; d < g.directions; ++d) {
      const Direction& dir = directions_[static_cast<size_t>(d)];
      std::unordered_map<int, memory> args;
      if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
      if (!dir.prepared.empty()) {
        args.emplace(DNNL_ARG_WEIGHTS_LAYER, memory(dir.layer_wanted, engine, dir.prepared_at(0)));
        args.emplace(DNNL_ARG_WEIGHTS_ITER, memory(dir.iter_wanted, engine, dir.prepared_at(1)));
        args.emplace(DNNL_ARG_BIAS, memory(bias_, engine, dir.prepared_at(2)));
        if (has_peephole_) args.emplace(DNNL_ARG_WEIGHTS_PEEPHOLE, memory(peephole_, engine, dir.prepared_at(3)));
      } else {
        ArrangedParameters arranged{at(arranged_offsets_[0]), at(arranged_offsets_[1]), at(arranged_offsets_[2]),
                                    has_peephole_ ? at(arranged_offsets_[3]) : nullptr};
        arrange_parameters(shape_, d, in[kRnnW]->data<float>(), in[kRnnR]->data<float>(), input(in, kRnnB),
                           input(in, kRnnP), arranged);
        args.emplace(DNNL_ARG_WEIGHTS_LAYER, weights(stream, scratchpad, dir.layer_reorder, layer_plain_,
                                                     dir.layer_wanted, arranged.weights_layer,
                                                     at(reordered_offsets_[0])));
        args.emplace(DNNL_ARG_WEIGHTS_ITER, weights(stream, scratchpad, dir.iter_reorder, iter_plain_,
                                                    dir.iter_wanted, arranged.weights_iter,
                                                    at(reordered_offsets_[1])));
        args.emplace(DNNL_ARG_BIAS, memory(bias_, engine, arranged.bias));
        if (has_peephole_) args.emplace(DNNL_ARG_WEIGHTS_PEEPHOLE, memory(peephole_, engine, arranged.peephole));
      }
      gather_state(g, d, input(in, kRnnInitialH), src_iter);
      args.emplace(DNNL_ARG_SRC_LAYER, memory(src_layer_, engine, const_cast<float*>(x)));
      args.emplace(DNNL_ARG_SRC_ITER, memory(state_, engine, src_iter));
      args.emplace(DNNL_ARG_DST_LAYER, memory(dst_layer_, engine, dst));
      args.emplace(DNNL_ARG_DST_ITER, memory(state_, engine, dst_iter));
      if (g.cell == RnnCell::lstm) {
        gather_state(g, d, input(in, kRnnInitialC), src_iter_c);
        args.emplace(DNNL_ARG_SRC_ITER_C, memory(state_, engine, src_iter_c));
        args.emplace(DNNL_ARG_DST_ITER_C, memory(state_, engine, dst_iter_c));
      }
      dir.primitive.execute(stream, args);
      stream.wait();
      float* y = out[0]->data<float>();
      for (int64_t t = 0; t < T; ++t) {
        for (int64_t n = 0; n < N; ++n) std::copy_n(dst + (t * N + n) * H, h, y + g.y_at(t, d, n));
      }
      for (int64_t n = 0; n < N; ++n) {
        std::copy_n(dst_iter + n * H, h, out[1]->data<float>() + g.state_at(d, n));
        if (g.cell == RnnCell::lstm) std::copy_n(dst_iter_c + n * H, h, out[2]->data<float>() + g.state_at(d, n));
      }
    }
  }

 private:
  /// One direction's primitive and its weights' layouts.
  struct Direction {
    dnnl::primitive primitive;
    memory::desc layer_wanted, iter_wanted;
    std::optional<dnnl::reorder> layer_reorder, iter_reorder;  // plain -> wanted, when they differ
    std::vector<float> prepared;                               // constant parameters, done at load
    std::array<size_t, 4> prepared_offsets{};                  // in floats: layer, iter, bias, peephole

    float* prepared_at(size_t i) const { return const_cast<float*>(prepared.data()) + prepared_offsets[i]; }
  };

  static RnnShape checked_shape(const KernelSpec& spec, RnnCell cell) {
    for (size_t i = 0; i < spec.inputs.size(); ++i) {
      if (i != kRnnSequenceLens && spec.inputs[i].dtype != DType::f32) onednn::unavailable("an input is not f32");
    }
    std::vector<Shape> shapes;
    for (const TensorType& t : spec.inputs) shapes.push_back(t.shape);
    RnnGeometryResult result = rnn_geometry(cell, shapes, spec.attrs.get_string("direction"),
                                            spec.attrs.get_int("hidden_size"), spec.attrs.get_int("layout"));
    if (!result.error.empty()) onednn::unavailable(result.error);
    const RnnGeometry& g = result.geometry;
    if (spec.outputs.size() != g.num_outputs()) onednn::unavailable("unexpected number of outputs");
    for (size_t i = 0; i < g.num_outputs(); ++i) {
      if (spec.outputs[i] != TensorType{DType::f32, g.outputs()[i]}) onednn::unavailable("unexpected output type");
    }
    if (g.seq_length == 0 || g.batch == 0 || g.input_size == 0) onednn::unavailable("an empty X");
    if (unsupported_rnn_activations(cell, spec.attrs.get_strings("activations"), g.directions)) {
      onednn::unavailable("activations other than the defaults");
    }
    if (spec.attrs.has("clip")) onednn::unavailable("clip: oneDNN's RNN primitives do not clip");
    if (cell == RnnCell::lstm && spec.attrs.get_bool("input_forget")) {
      onednn::unavailable("input_forget: oneDNN's LSTM has no coupled gates");
    }
    if (spec.inputs.size() > kRnnSequenceLens) {
      const Tensor* lengths = onednn::constant_input(spec, kRnnSequenceLens);
      if (lengths == nullptr) onednn::unavailable("sequence_lens is not a module constant");
      for (int64_t n = 0; n < g.batch; ++n) {
        int64_t len = lengths->dtype() == DType::i32 ? lengths->data<int32_t>()[n] : lengths->data<int64_t>()[n];
        if (len != g.seq_length) {
          onednn::unavailable(fmt::format("sequence_lens[{}] = {} is not seq_length {}: oneDNN runs every "
                                          "sequence to the end",
                                          n, len, g.seq_length));
        }
      }
    }
    RnnShape shape{g};
    if (cell == RnnCell::gru) shape.linear_before_reset = spec.attrs.get_bool("linear_before_reset");
    return shape;
  }

  Direction make_direction(bool right_to_left) {
    auto direction = right_to_left ? dnnl::rnn_direction::unidirectional_right2left
                                   : dnnl::rnn_direction::unidirectional_left2right;
    auto prop = dnnl::prop_kind::forward_inference;
    memory::desc layer_any = onednn::any_desc(layer_plain_.dims());
    memory::desc iter_any = onednn::any_desc(iter_plain_.dims());
    Direction dir;
    dnnl::primitive_desc pd;
    if (shape_.g.cell == RnnCell::lstm) {
      pd = onednn::make_primitive_desc<dnnl::lstm_forward>("LSTM", [&] {
        return dnnl::lstm_forward::desc(prop, direction, src_layer_, state_, state_, layer_any, iter_any,
                                        peephole_, bias_, dst_layer_, state_, state_);
      });
    } else if (shape_.linear_before_reset) {
      pd = onednn::make_primitive_desc<dnnl::lbr_gru_forward>("linear-before-reset GRU", [&] {
        return dnnl::lbr_gru_forward::desc(prop, direction, src_layer_, state_, layer_any, iter_any, bias_,
                                           dst_layer_, state_);
      });
    } else {
      pd = onednn::make_primitive_desc<dnnl::gru_forward>("GRU", [&] {
        return dnnl::gru_forward::desc(prop, direction, src_layer_, state_, layer_any, iter_any, bias_, dst_layer_,
                                       state_);
      });
    }
    fit_scratchpad(pd.scratchpad_desc().get_size());
    dir.primitive = dnnl::primitive(pd);
    dir.layer_wanted = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_LAYER);
    dir.iter_wanted = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_ITER);
    if (dir.layer_wanted != layer_plain_) dir.layer_reorder = make_reorder(layer_plain_, dir.layer_wanted);
    if (dir.iter_wanted != iter_plain_) dir.iter_reorder = make_reorder(iter_plain_, dir.iter_wanted);
    return dir;
  }

  /// Arranges and reorders direction d's constant parameters, once.
  void prepare(const KernelSpec& spec, int64_t d) {
    Direction& dir = directions_[static_cast<size_t>(d)];
    auto floats = [](size_t bytes) { return bytes / sizeof(float); };
    size_t sizes[] = {floats(dir.layer_wanted.get_size()), floats(dir.iter_wanted.get_size()),
                      floats(bias_.get_size()), has_peephole_ ? floats(peephole_.get_size()) : 0};
    size_t total = 0;
    for (size_t i = 0; i < 4; ++i) {
      dir.prepared_offsets[i] = total;
      total += sizes[i];
    }
    dir.prepared.assign(total, 0.0f);
    std::vector<float> layer(floats(layer_plain_.get_size())), iter(floats(iter_plain_.get_size()));
    auto constant = [&](size_t i) -> const float* {
      const Tensor* t = i < spec.inputs.size() ? onednn::constant_input(spec, i) : nullptr;
      return t != nullptr ? t->data<float>() : nullptr;
    };
    ArrangedParameters arranged{layer.data(), iter.data(), dir.prepared_at(2),
                                has_peephole_ ? dir.prepared_at(3) : nullptr};
    arrange_parameters(shape_, d, constant(kRnnW), constant(kRnnR), constant(kRnnB), constant(kRnnP), arranged);
    dnnl::stream stream(onednn::cpu_engine());
    auto place = [&](const memory::desc& plain, const memory::desc& wanted, float* from, float* to) {
      if (wanted == plain) {
        std::memcpy(to, from, plain.get_size());
        return;
      }
      memory src(plain, onednn::cpu_engine(), from), dst(wanted, onednn::cpu_engine(), to);
      dnnl::reorder(src, dst).execute(stream, src, dst);
      stream.wait();
    };
    place(layer_plain_, dir.layer_wanted, layer.data(), dir.prepared_at(0));
    place(iter_plain_, dir.iter_wanted, iter.data(), dir.prepared_at(1));
  }

  /// Weights `arranged` (plain) as the primitive wants them: reordered into
  /// `reordered` when the layouts differ.
  static memory weights(dnnl::stream& stream, const memory& scratchpad, const std::optional<dnnl::reorder>& reorder,
                        const memory::desc& plain, const memory::desc& wanted, float* arranged, float* reordered) {
    const dnnl::engine& engine = onednn::cpu_engine();
    if (!reorder) return memory(plain, engine, arranged);
    memory from(plain, engine, arranged), to(wanted, engine, reordered);
    std::unordered_map<int, memory> args{{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    if (scratchpad) args.emplace(DNNL_ARG_SCRATCHPAD, scratchpad);
    reorder->execute(stream, args);
    return to;
  }

  /// Direction d's initial state (zeros when absent) as [N, H].
  static void gather_state(const RnnGeometry& g, int64_t d, const float* state, float* to) {
    auto h = static_cast<size_t>(g.hidden);
    for (int64_t n = 0; n < g.batch; ++n) {
      if (state != nullptr) {
        std::copy_n(state + g.state_at(d, n), h, to + n * g.hidden);
      } else {
        std::fill_n(to + n * g.hidden, h, 0.0f);
      }
    }
  }

  static const float* input(std::span<const Tensor* const> in, size_t index) {
    return index < in.size() ? in[index]->data<float>() : nullptr;
  }

  dnnl::reorder make_reorder(const memory::desc& from, const memory::desc& to) {
    try {
      dnnl::reorder::primitive_desc pd(onednn::cpu_engine(), from, onednn::cpu_engine(), to,
                                       onednn::scratchpad_attr());
      fit_scratchpad(pd.scratchpad_desc().get_size());
      return dnnl::reorder(pd);
    } catch (const dnnl::error& e) {
      onednn::unavailable("reorder", e);
    }
  }

  void fit_scratchpad(size_t bytes) { scratchpad_bytes_ = std::max(scratchpad_bytes_, aligned(bytes)); }

  size_t reserve(size_t bytes) {
    size_t offset = buffer_bytes_;
    buffer_bytes_ += aligned(bytes);
    return offset;
  }

  RnnShape shape_;
  bool has_bias_ = false, has_peephole_ = false;
  memory::desc src_layer_, dst_layer_, state_, layer_plain_, iter_plain_, bias_, peephole_;
  std::vector<Direction> directions_;
  size_t src_offset_ = 0, dst_offset_ = 0;
  std::array<size_t, 4> state_offsets_{};       // src_iter, src_iter_c, dst_iter, dst_iter_c
  std::array<size_t, 4> arranged_offsets_{};    // per-run parameters: layer, iter, bias, peephole
  std::array<size_t, 2> reordered_offsets_{};   // per-run weights in the primitive's layout
  size_t buffer_bytes_ = 0;
  size_t scratchpad_bytes_ = 0;
};

}  // namespace

void register_onednn_rnn_kernels(KernelRegistry& r) {
  r.add("LSTM", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    return std::make_unique<RnnPrimitiveKernel>(spec, RnnCell::lstm);
  });
  r.add("GRU", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    return std::make_unique<RnnPrimitiveKernel>(spec, RnnCell::gru);
  });
}

}  // namespace graphc
