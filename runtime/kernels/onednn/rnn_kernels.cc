// oneDNN kernels of LSTM and GRU (ONNX semantics, docs/ops.md) on the
// lstm_forward, gru_forward and lbr_gru_forward primitives (inference), one
// per direction (rnn_primitives.h: the parameters' order, what is served).
//
// Each primitive reads X as [T, N, I] (tnc) and writes its [T, N, H] into the
// scratch block, from where it is copied into Y's rows for that direction
// (layout 0 or 1); the states go through [1, 1, N, H] (ldnc) buffers the
// same way. X of layout 1 is transposed into the scratch block first.
// The parameters are rearranged into oneDNN's order and reordered into the
// layout the primitive chose (`format_tag::any`): once at load when W, R, B
// and P are all module constants, else per run in the scratch block.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"
#include "runtime/kernels/onednn/rnn_primitives.h"

namespace graphc {
namespace {

using dnnl::memory;
using namespace onednn;

class RnnPrimitiveKernel final : public RnnScratchKernel {
 public:
  RnnPrimitiveKernel(const KernelSpec& spec, RnnCell cell)
      : shape_(checked_shape(spec, cell)),
        has_bias_(spec.inputs.size() > kRnnB),
        has_peephole_(spec.inputs.size() > kRnnP),
        m_(shape_, has_peephole_) {
    const RnnGeometry& g = shape_.g;
    const int64_t H = g.hidden, N = g.batch, T = g.seq_length, I = g.input_size;
    for (int64_t d = 0; d < g.directions; ++d) directions_.push_back(make_direction(right_to_left(g, d)));

    // The scratch block: X transposed (layout 1), the states, Y of one
    // direction, then (parameters per run) the arranged and reordered
    // parameters, then the scratchpad.
    auto floats = [](int64_t n) { return static_cast<size_t>(n) * sizeof(float); };
    if (g.layout == 1) src_offset_ = scratch_.reserve(floats(T * N * I));
    for (size_t& offset : state_offsets_) offset = scratch_.reserve(floats(N * H));
    dst_offset_ = scratch_.reserve(floats(T * N * H));

    auto constant = [&](size_t i) { return constant_input(spec, i) != nullptr; };
    bool constant_parameters = constant(kRnnW) && constant(kRnnR) && (!has_bias_ || constant(kRnnB)) &&
                               (!has_peephole_ || constant(kRnnP));
    if (constant_parameters) {
      for (int64_t d = 0; d < g.directions; ++d) prepare(spec, d);
    } else {
      arranged_offsets_[0] = scratch_.reserve(m_.layer_plain.get_size());
      arranged_offsets_[1] = scratch_.reserve(m_.iter_plain.get_size());
      arranged_offsets_[2] = scratch_.reserve(m_.bias.get_size());
      arranged_offsets_[3] = has_peephole_ ? scratch_.reserve(m_.peephole.get_size()) : 0;
      size_t layer = 0, iter = 0;
      for (const Direction& dir : directions_) {
        layer = std::max(layer, dir.layer_wanted.get_size());
        iter = std::max(iter, dir.iter_wanted.get_size());
      }
      reordered_offsets_[0] = scratch_.reserve(layer);
      reordered_offsets_[1] = scratch_.reserve(iter);
    }
  }

 private:
  void run_with(std::span<const Tensor* const> in, std::span<Tensor* const> out,
                std::byte* scratch) const override {
    const RnnGeometry& g = shape_.g;
    const dnnl::engine& engine = cpu_engine();
    dnnl::stream& stream = thread_stream();
    auto at = [&](size_t offset) { return reinterpret_cast<float*>(scratch + offset); };
    memory scratchpad = scratch_.scratchpad(scratch);
    const int64_t N = g.batch, H = g.hidden, T = g.seq_length;
    auto h = static_cast<size_t>(H);

    const float* x = in[kRnnX]->data<float>();
    if (g.layout == 1) {
      x_to_tnc(g, x, at(src_offset_));
      x = at(src_offset_);
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
        args.emplace(DNNL_ARG_BIAS, memory(m_.bias, engine, dir.prepared_at(2)));
        if (has_peephole_) args.emplace(DNNL_ARG_WEIGHTS_PEEPHOLE, memory(m_.peephole, engine, dir.prepared_at(3)));
      } else {
        ArrangedParameters arranged{at(arranged_offsets_[0]), at(arranged_offsets_[1]), at(arranged_offsets_[2]),
                                    has_peephole_ ? at(arranged_offsets_[3]) : nullptr};
        arrange_parameters(shape_, d, in[kRnnW]->data<float>(), in[kRnnR]->data<float>(),
                           optional_input(in, kRnnB), optional_input(in, kRnnP), arranged);
        args.emplace(DNNL_ARG_WEIGHTS_LAYER,
                     reordered_weights(stream, scratchpad, dir.layer_reorder, m_.layer_plain, dir.layer_wanted,
                                       arranged.weights_layer, at(reordered_offsets_[0])));
        args.emplace(DNNL_ARG_WEIGHTS_ITER,
                     reordered_weights(stream, scratchpad, dir.iter_reorder, m_.iter_plain, dir.iter_wanted,
                                       arranged.weights_iter, at(reordered_offsets_[1])));
        args.emplace(DNNL_ARG_BIAS, memory(m_.bias, engine, arranged.bias));
        if (has_peephole_) args.emplace(DNNL_ARG_WEIGHTS_PEEPHOLE, memory(m_.peephole, engine, arranged.peephole));
      }
      gather_state(g, d, optional_input(in, kRnnInitialH), src_iter);
      args.emplace(DNNL_ARG_SRC_LAYER, memory(m_.src_layer, engine, const_cast<float*>(x)));
      args.emplace(DNNL_ARG_SRC_ITER, memory(m_.state, engine, src_iter));
      args.emplace(DNNL_ARG_DST_LAYER, memory(m_.dst_layer, engine, dst));
      args.emplace(DNNL_ARG_DST_ITER, memory(m_.state, engine, dst_iter));
      if (g.cell == RnnCell::lstm) {
        gather_state(g, d, optional_input(in, kRnnInitialC), src_iter_c);
        args.emplace(DNNL_ARG_SRC_ITER_C, memory(m_.state, engine, src_iter_c));
        args.emplace(DNNL_ARG_DST_ITER_C, memory(m_.state, engine, dst_iter_c));
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
    RnnShape shape = checked_rnn_shape(spec, cell, 0);
    const RnnGeometry& g = shape.g;
    if (spec.outputs.size() != g.num_outputs()) unavailable("unexpected number of outputs");
    for (size_t i = 0; i < g.num_outputs(); ++i) {
      if (spec.outputs[i] != TensorType{DType::f32, g.outputs()[i]}) unavailable("unexpected output type");
    }
    return shape;
  }

  Direction make_direction(bool right_to_left) {
    dnnl::primitive_desc pd = rnn_forward_pd(shape_, m_, dnnl::prop_kind::forward_inference, right_to_left);
    scratch_.fit_scratchpad(pd.scratchpad_desc().get_size());
    Direction dir;
    dir.primitive = dnnl::primitive(pd);
    dir.layer_wanted = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_LAYER);
    dir.iter_wanted = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_WEIGHTS_ITER);
    if (dir.layer_wanted != m_.layer_plain) dir.layer_reorder = scratch_.make_reorder(m_.layer_plain, dir.layer_wanted);
    if (dir.iter_wanted != m_.iter_plain) dir.iter_reorder = scratch_.make_reorder(m_.iter_plain, dir.iter_wanted);
    return dir;
  }

  /// Arranges and reorders direction d's constant parameters, once.
  void prepare(const KernelSpec& spec, int64_t d) {
    Direction& dir = directions_[static_cast<size_t>(d)];
    auto floats = [](size_t bytes) { return bytes / sizeof(float); };
    size_t sizes[] = {floats(dir.layer_wanted.get_size()), floats(dir.iter_wanted.get_size()),
                      floats(m_.bias.get_size()), has_peephole_ ? floats(m_.peephole.get_size()) : 0};
    size_t total = 0;
    for (size_t i = 0; i < 4; ++i) {
      dir.prepared_offsets[i] = total;
      total += sizes[i];
    }
    dir.prepared.assign(total, 0.0f);
    std::vector<float> layer(floats(m_.layer_plain.get_size())), iter(floats(m_.iter_plain.get_size()));
    auto constant = [&](size_t i) -> const float* {
      const Tensor* t = i < spec.inputs.size() ? constant_input(spec, i) : nullptr;
      return t != nullptr ? t->data<float>() : nullptr;
    };
    ArrangedParameters arranged{layer.data(), iter.data(), dir.prepared_at(2),
                                has_peephole_ ? dir.prepared_at(3) : nullptr};
    arrange_parameters(shape_, d, constant(kRnnW), constant(kRnnR), constant(kRnnB), constant(kRnnP), arranged);
    dnnl::stream stream(cpu_engine());
    auto place = [&](const memory::desc& plain, const memory::desc& wanted, float* from, float* to) {
      if (wanted == plain) {
        std::memcpy(to, from, plain.get_size());
        return;
      }
      memory src(plain, cpu_engine(), from), dst(wanted, cpu_engine(), to);
      dnnl::reorder(src, dst).execute(stream, src, dst);
      stream.wait();
    };
    place(m_.layer_plain, dir.layer_wanted, layer.data(), dir.prepared_at(0));
    place(m_.iter_plain, dir.iter_wanted, iter.data(), dir.prepared_at(1));
  }

  RnnShape shape_;
  bool has_bias_, has_peephole_;
  RnnDescs m_;
  std::vector<Direction> directions_;
  size_t src_offset_ = 0, dst_offset_ = 0;
  std::array<size_t, 4> state_offsets_{};      // src_iter, src_iter_c, dst_iter, dst_iter_c
  std::array<size_t, 4> arranged_offsets_{};   // per-run parameters: layer, iter, bias, peephole
  std::array<size_t, 2> reordered_offsets_{};  // per-run weights in the primitive's layout
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
