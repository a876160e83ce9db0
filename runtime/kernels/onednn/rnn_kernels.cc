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
// and P are all module constants, else per run in the scratch block. The
// primitives' and reorders' calls are set up once per session (Bound).
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/prepared_calls.h"
#include "runtime/kernels/onednn/primitive_kernel.h"
#include "runtime/kernels/onednn/rnn_primitives.h"

namespace graphc {
namespace {

using dnnl::memory;
using namespace onednn;

class RnnPrimitiveKernel final : public RnnScratchKernel<RnnPrimitiveKernel> {
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
  friend class RnnScratchKernel<RnnPrimitiveKernel>;

  /// One session's step: each direction's calls (the weights' reorders when
  /// they are arranged per run, then the primitive) over the step's scratch
  /// block and X, set up once.
  class Bound final : public BoundKernel {
   public:
    Bound(const RnnPrimitiveKernel& kernel, const KernelBinding& binding)
        : k_(kernel), binding_(binding), calls_(kernel.scratch_.scratchpad(binding.scratch)) {
      const RnnGeometry& g = k_.shape_.g;
      const RnnDescs& m = k_.m_;
      auto in_scratch = [&](const memory::desc& desc, size_t offset) {
        return memory(desc, cpu_engine(), binding.scratch + offset);
      };
      memory x = g.layout == 1 ? in_scratch(m.src_layer, k_.src_offset_)
                               : calls_.over_tensor(m.src_layer, binding.inputs[kRnnX]);
      for (const Direction& dir : k_.directions_) {
        PreparedCalls::Args args{{DNNL_ARG_SRC_LAYER, x},
                                 {DNNL_ARG_SRC_ITER, in_scratch(m.state, k_.state_offsets_[0])},
                                 {DNNL_ARG_DST_LAYER, in_scratch(m.dst_layer, k_.dst_offset_)},
                                 {DNNL_ARG_DST_ITER, in_scratch(m.state, k_.state_offsets_[2])}};
        if (g.cell == RnnCell::lstm) {
          args.emplace_back(DNNL_ARG_SRC_ITER_C, in_scratch(m.state, k_.state_offsets_[1]));
          args.emplace_back(DNNL_ARG_DST_ITER_C, in_scratch(m.state, k_.state_offsets_[3]));
        }
        auto parameter = [&](int arg, const memory::desc& desc, size_t i) {
          args.emplace_back(arg, dir.prepared.empty() ? in_scratch(desc, k_.arranged_offsets_[i])
                                                      : memory(desc, cpu_engine(), dir.prepared_at(i)));
        };
        auto weights = [&](int arg, const memory::desc& plain, const memory::desc& wanted,
                           const std::optional<dnnl::reorder>& reorder, size_t i) {
          if (!dir.prepared.empty() || !reorder) return parameter(arg, dir.prepared.empty() ? plain : wanted, i);
          memory reordered = in_scratch(wanted, k_.reordered_offsets_[i]);
          calls_.add(*reorder, {{DNNL_ARG_FROM, in_scratch(plain, k_.arranged_offsets_[i])}, {DNNL_ARG_TO, reordered}});
          args.emplace_back(arg, reordered);
        };
        weights(DNNL_ARG_WEIGHTS_LAYER, m.layer_plain, dir.layer_wanted, dir.layer_reorder, 0);
        weights(DNNL_ARG_WEIGHTS_ITER, m.iter_plain, dir.iter_wanted, dir.iter_reorder, 1);
        parameter(DNNL_ARG_BIAS, m.bias, 2);
        if (k_.has_peephole_) parameter(DNNL_ARG_WEIGHTS_PEEPHOLE, m.peephole, 3);
        calls_.add(dir.primitive, std::move(args));
        ends_.push_back(calls_.size());
      }
    }

    void run() override {
      const RnnGeometry& g = k_.shape_.g;
      std::span<const Tensor* const> in = binding_.inputs;
      std::span<Tensor* const> out = binding_.outputs;
      auto at = [&](size_t offset) { return reinterpret_cast<float*>(binding_.scratch + offset); };
      const int64_t N = g.batch, H = g.hidden, T = g.seq_length;
      auto h = static_cast<size_t>(H);
      calls_.follow_tensors();  // a caller may have given X new storage
      if (g.layout == 1) x_to_tnc(g, in[kRnnX]->data<float>(), at(k_.src_offset_));
      const float* dst = at(k_.dst_offset_);
      const float* dst_iter = at(k_.state_offsets_[2]);
      const float* dst_iter_c = at(k_.state_offsets_[3]);
      size_t begin = 0;
      for (int64_t d = 0; d < g.directions; ++d) {
        if (k_.directions_[static_cast<size_t>(d)].prepared.empty()) {
          ArrangedParameters arranged{at(k_.arranged_offsets_[0]), at(k_.arranged_offsets_[1]),
                                      at(k_.arranged_offsets_[2]),
                                      k_.has_peephole_ ? at(k_.arranged_offsets_[3]) : nullptr};
          arrange_parameters(k_.shape_, d, in[kRnnW]->data<float>(), in[kRnnR]->data<float>(),
                             optional_input(in, kRnnB), optional_input(in, kRnnP), arranged);
        }
        gather_state(g, d, optional_input(in, kRnnInitialH), at(k_.state_offsets_[0]));
        if (g.cell == RnnCell::lstm) gather_state(g, d, optional_input(in, kRnnInitialC), at(k_.state_offsets_[1]));
        size_t end = ends_[static_cast<size_t>(d)];
        calls_.execute(begin, end);
        thread_stream().wait();
        begin = end;
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
    const RnnPrimitiveKernel& k_;
    KernelBinding binding_;
    PreparedCalls calls_;
    std::vector<size_t> ends_;  // per direction, the end of its calls
  };

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
    scratch_.fit_scratchpad(pd);
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
