// oneDNN kernels of LSTMGrad and GRUGrad (docs/ops.md: the gradients of
// LSTM and GRU) on the RNN backward primitives lstm_backward, gru_backward
// and lbr_gru_backward, per direction (rnn_primitives.h: the parameters'
// order, what is served).
//
// The graph keeps only the forward op's outputs, not the workspace oneDNN's
// backward pass reads (the gates of every step), so each direction runs a
// chain of two primitives, as MaxPoolGrad does: the forward primitive with
// forward_training recomputes Y, the final states and the workspace, then
// the backward primitive reads them with the output gradients of that
// direction (dY's rows gathered into [T, N, H], dY_h, dY_c). It writes dX
// of the direction as [T, N, I] (added into dX's rows: bidirectional sums
// both), the initial states' gradients, and the parameters' gradients in
// oneDNN's order and layouts, which are zeroed first (oneDNN accumulates
// into them), reordered to plain and scattered back into ONNX's dW, dR, dB
// and dP.
//
// Everything a run writes besides the outputs lives in the kernel's planned
// scratch block: the recomputed forward results, the workspace, the
// gathered gradients, the parameters arranged and reordered for each
// primitive (the weights are variables in training, so they are arranged
// per run), the parameter gradients, and the shared scratchpad. The calls
// are set up once per session (Bound).
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

/// The scratch block's buffers.
enum Buffer : size_t {
  kXTnc,  // X of layout 1 as tnc
  kSrcIter,
  kSrcIterC,  // the cell states (LSTM)
  kDstLayer,
  kDstIter,
  kDstIterC,
  kWorkspace,
  kDiffDstLayer,
  kDiffDstIter,
  kDiffDstIterC,
  kDiffSrcLayer,
  kDiffSrcIter,
  kDiffSrcIterC,
  kLayerPlain,  // the arranged parameters
  kIterPlain,
  kBias,
  kPeephole,
  kForwardLayer,  // the weights as the forward primitive wants them
  kForwardIter,
  kBackwardLayer,  // as the backward primitive wants them
  kBackwardIter,
  kDiffLayer,  // the weights' gradients as the backward primitive writes them
  kDiffIter,
  kDiffLayerPlain,  // and reordered to plain
  kDiffIterPlain,
  kDiffBias,
  kDiffPeephole,
  kBufferCount
};

class RnnGradPrimitiveKernel final : public RnnScratchKernel<RnnGradPrimitiveKernel> {
 public:
  RnnGradPrimitiveKernel(const KernelSpec& spec, RnnCell cell)
      : first_(cell == RnnCell::lstm ? 3 : 2),
        shape_(checked_shape(spec, cell, first_)),
        has_peephole_(spec.inputs.size() > first_ + kRnnP),
        m_(shape_, has_peephole_) {
    const RnnGeometry& g = shape_.g;
    for (int64_t d = 0; d < g.directions; ++d) directions_.push_back(make_direction(right_to_left(g, d)));

    const int64_t H = g.hidden, N = g.batch, T = g.seq_length, I = g.input_size;
    auto floats = [](int64_t n) { return static_cast<size_t>(n) * sizeof(float); };
    auto largest = [&](memory::desc Direction::*wanted) {
      size_t bytes = 0;
      for (const Direction& dir : directions_) bytes = std::max(bytes, (dir.*wanted).get_size());
      return bytes;
    };
    std::array<size_t, kBufferCount> sizes{};
    sizes[kXTnc] = g.layout == 1 ? floats(T * N * I) : 0;
    for (Buffer b : {kSrcIter, kDstIter, kDiffDstIter, kDiffSrcIter}) sizes[b] = floats(N * H);
    if (g.cell == RnnCell::lstm) {
      for (Buffer b : {kSrcIterC, kDstIterC, kDiffDstIterC, kDiffSrcIterC}) sizes[b] = floats(N * H);
    }
    sizes[kDstLayer] = sizes[kDiffDstLayer] = floats(T * N * H);
    sizes[kDiffSrcLayer] = floats(T * N * I);
    sizes[kWorkspace] = largest(&Direction::workspace);
    sizes[kLayerPlain] = sizes[kDiffLayerPlain] = m_.layer_plain.get_size();
    sizes[kIterPlain] = sizes[kDiffIterPlain] = m_.iter_plain.get_size();
    sizes[kBias] = sizes[kDiffBias] = m_.bias.get_size();
    sizes[kPeephole] = sizes[kDiffPeephole] = has_peephole_ ? m_.peephole.get_size() : 0;
    sizes[kForwardLayer] = largest(&Direction::forward_layer);
    sizes[kForwardIter] = largest(&Direction::forward_iter);
    sizes[kBackwardLayer] = largest(&Direction::backward_layer);
    sizes[kBackwardIter] = largest(&Direction::backward_iter);
    sizes[kDiffLayer] = largest(&Direction::diff_layer);
    sizes[kDiffIter] = largest(&Direction::diff_iter);
    for (size_t b = 0; b < kBufferCount; ++b) offsets_[b] = scratch_.reserve(sizes[b]);
  }

 private:
  friend class RnnScratchKernel<RnnGradPrimitiveKernel>;

  /// One direction's primitives and the layouts they chose.
  struct Direction {
    dnnl::primitive forward, backward;
    memory::desc workspace;
    memory::desc forward_layer, forward_iter, backward_layer, backward_iter, diff_layer, diff_iter;
    std::optional<dnnl::reorder> forward_layer_reorder, forward_iter_reorder;    // plain -> wanted
    std::optional<dnnl::reorder> backward_layer_reorder, backward_iter_reorder;  // plain -> wanted
    std::optional<dnnl::reorder> diff_layer_reorder, diff_iter_reorder;          // written -> plain
  };

  static RnnShape checked_shape(const KernelSpec& spec, RnnCell cell, size_t first) {
    RnnShape shape = checked_rnn_shape(spec, cell, first);
    const RnnGeometry& g = shape.g;
    std::vector<Shape> forward = g.outputs();
    for (size_t i = 0; i < first; ++i) {
      if (spec.inputs[i].dtype != DType::f32 || !rnn_output_grad_fits(spec.inputs[i].shape, forward[i])) {
        unavailable("unexpected output gradient type");
      }
    }
    std::vector<Shape> grads{g.x(), g.w(), g.r(), g.b(), g.state()};
    if (cell == RnnCell::lstm) {
      grads.push_back(g.state());
      grads.push_back(g.p());
    }
    if (spec.outputs.size() != grads.size()) unavailable("unexpected number of outputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      if (spec.outputs[i] != TensorType{DType::f32, grads[i]}) unavailable("unexpected output type");
    }
    return shape;
  }

  Direction make_direction(bool right_to_left) {
    dnnl::primitive_desc forward = rnn_forward_pd(shape_, m_, dnnl::prop_kind::forward_training, right_to_left);
    dnnl::primitive_desc backward = backward_pd(forward, right_to_left);
    Direction dir;
    dir.forward = dnnl::primitive(forward);
    dir.backward = dnnl::primitive(backward);
    dir.workspace = forward.query_md(dnnl::query::workspace_md);
    auto wanted = [](const dnnl::primitive_desc& pd, int arg) { return pd.query_md(dnnl::query::exec_arg_md, arg); };
    auto reorder = [&](const memory::desc& from, const memory::desc& to) -> std::optional<dnnl::reorder> {
      if (from == to) return std::nullopt;
      return scratch_.make_reorder(from, to);
    };
    dir.forward_layer = wanted(forward, DNNL_ARG_WEIGHTS_LAYER);
    dir.forward_iter = wanted(forward, DNNL_ARG_WEIGHTS_ITER);
    dir.backward_layer = wanted(backward, DNNL_ARG_WEIGHTS_LAYER);
    dir.backward_iter = wanted(backward, DNNL_ARG_WEIGHTS_ITER);
    dir.diff_layer = wanted(backward, DNNL_ARG_DIFF_WEIGHTS_LAYER);
    dir.diff_iter = wanted(backward, DNNL_ARG_DIFF_WEIGHTS_ITER);
    dir.forward_layer_reorder = reorder(m_.layer_plain, dir.forward_layer);
    dir.forward_iter_reorder = reorder(m_.iter_plain, dir.forward_iter);
    dir.backward_layer_reorder = reorder(m_.layer_plain, dir.backward_layer);
    dir.backward_iter_reorder = reorder(m_.iter_plain, dir.backward_iter);
    dir.diff_layer_reorder = reorder(dir.diff_layer, m_.layer_plain);
    dir.diff_iter_reorder = reorder(dir.diff_iter, m_.iter_plain);
    scratch_.fit_scratchpad(forward);
    scratch_.fit_scratchpad(backward);
    return dir;
  }

  /// The backward primitive descriptor of one direction: every gradient in
  /// the layout of its value, the weights and their gradients in the
  /// layouts the primitive chooses.
  dnnl::primitive_desc backward_pd(const dnnl::primitive_desc& forward, bool right_to_left) const {
    dnnl::rnn_direction direction = rnn_direction_of(right_to_left);
    const RnnDescs& m = m_;
    if (shape_.g.cell == RnnCell::lstm) {
      return make_primitive_desc<dnnl::lstm_backward>(
          "LSTM backward",
          [&] {
            return dnnl::lstm_backward::desc(dnnl::prop_kind::backward, direction, m.src_layer, m.state, m.state,
                                             m.layer_any, m.iter_any, m.peephole, m.bias, m.dst_layer, m.state,
                                             m.state, m.src_layer, m.state, m.state, m.layer_any, m.iter_any,
                                             m.peephole, m.bias, m.dst_layer, m.state, m.state);
          },
          dnnl::lstm_forward::primitive_desc(forward.get()));
    }
    if (shape_.linear_before_reset) {
      return gru_backward_pd<dnnl::lbr_gru_forward, dnnl::lbr_gru_backward>("linear-before-reset GRU backward",
                                                                            forward, direction);
    }
    return gru_backward_pd<dnnl::gru_forward, dnnl::gru_backward>("GRU backward", forward, direction);
  }

  /// backward_pd of a GRU cell (both variants take the same arguments).
  template <class Forward, class Backward>
  dnnl::primitive_desc gru_backward_pd(const char* what, const dnnl::primitive_desc& forward,
                                       dnnl::rnn_direction direction) const {
    const RnnDescs& m = m_;
    return make_primitive_desc<Backward>(
        what,
        [&] {
          return typename Backward::desc(dnnl::prop_kind::backward, direction, m.src_layer, m.state, m.layer_any,
                                         m.iter_any, m.bias, m.dst_layer, m.state, m.src_layer, m.state, m.layer_any,
                                         m.iter_any, m.bias, m.dst_layer, m.state);
        },
        typename Forward::primitive_desc(forward.get()));
  }

  /// One session's step: each direction's calls (the weights reordered for
  /// the forward primitive, the forward primitive, the weights reordered for
  /// the backward one, the backward primitive, its weight gradients
  /// reordered to plain) over the step's scratch block and X, set up once.
  class Bound final : public BoundKernel {
   public:
    Bound(const RnnGradPrimitiveKernel& kernel, const KernelBinding& binding)
        : k_(kernel), binding_(binding), calls_(kernel.scratch_.scratchpad(binding.scratch)) {
      const RnnGeometry& g = k_.shape_.g;
      const RnnDescs& m = k_.m_;
      auto in_scratch = [&](const memory::desc& desc, Buffer b) {
        return memory(desc, cpu_engine(), binding.scratch + k_.offsets_[b]);
      };
      memory x = g.layout == 1 ? in_scratch(m.src_layer, kXTnc)
                               : calls_.over_tensor(m.src_layer, binding.inputs[k_.first_ + kRnnX]);
      for (const Direction& dir : k_.directions_) {
        // The arguments both primitives take.
        PreparedCalls::Args shared{{DNNL_ARG_SRC_LAYER, x},
                                   {DNNL_ARG_SRC_ITER, in_scratch(m.state, kSrcIter)},
                                   {DNNL_ARG_BIAS, in_scratch(m.bias, kBias)},
                                   {DNNL_ARG_DST_LAYER, in_scratch(m.dst_layer, kDstLayer)},
                                   {DNNL_ARG_DST_ITER, in_scratch(m.state, kDstIter)},
                                   {DNNL_ARG_WORKSPACE, in_scratch(dir.workspace, kWorkspace)}};
        if (g.cell == RnnCell::lstm) {
          shared.emplace_back(DNNL_ARG_SRC_ITER_C, in_scratch(m.state, kSrcIterC));
          shared.emplace_back(DNNL_ARG_DST_ITER_C, in_scratch(m.state, kDstIterC));
        }
        if (k_.has_peephole_) shared.emplace_back(DNNL_ARG_WEIGHTS_PEEPHOLE, in_scratch(m.peephole, kPeephole));
        // The arranged weights as `wanted`: reordered into buffer `to` first when they differ.
        auto weights = [&](const memory::desc& plain, Buffer from, const memory::desc& wanted,
                           const std::optional<dnnl::reorder>& reorder, Buffer to) {
          if (!reorder) return in_scratch(plain, from);
          memory reordered = in_scratch(wanted, to);
          calls_.add(*reorder, {{DNNL_ARG_FROM, in_scratch(plain, from)}, {DNNL_ARG_TO, reordered}});
          return reordered;
        };

        PreparedCalls::Args forward = shared;
        forward.emplace_back(DNNL_ARG_WEIGHTS_LAYER, weights(m.layer_plain, kLayerPlain, dir.forward_layer,
                                                             dir.forward_layer_reorder, kForwardLayer));
        forward.emplace_back(DNNL_ARG_WEIGHTS_ITER, weights(m.iter_plain, kIterPlain, dir.forward_iter,
                                                            dir.forward_iter_reorder, kForwardIter));
        calls_.add(dir.forward, std::move(forward));

        PreparedCalls::Args backward = std::move(shared);
        backward.emplace_back(DNNL_ARG_WEIGHTS_LAYER, weights(m.layer_plain, kLayerPlain, dir.backward_layer,
                                                              dir.backward_layer_reorder, kBackwardLayer));
        backward.emplace_back(DNNL_ARG_WEIGHTS_ITER, weights(m.iter_plain, kIterPlain, dir.backward_iter,
                                                             dir.backward_iter_reorder, kBackwardIter));
        memory diff_layer = in_scratch(dir.diff_layer, k_.diff_layer_buffer(dir));
        memory diff_iter = in_scratch(dir.diff_iter, k_.diff_iter_buffer(dir));
        PreparedCalls::Args diffs{{DNNL_ARG_DIFF_DST_LAYER, in_scratch(m.dst_layer, kDiffDstLayer)},
                                  {DNNL_ARG_DIFF_DST_ITER, in_scratch(m.state, kDiffDstIter)},
                                  {DNNL_ARG_DIFF_SRC_LAYER, in_scratch(m.src_layer, kDiffSrcLayer)},
                                  {DNNL_ARG_DIFF_SRC_ITER, in_scratch(m.state, kDiffSrcIter)},
                                  {DNNL_ARG_DIFF_WEIGHTS_LAYER, diff_layer},
                                  {DNNL_ARG_DIFF_WEIGHTS_ITER, diff_iter},
                                  {DNNL_ARG_DIFF_BIAS, in_scratch(m.bias, kDiffBias)}};
        if (g.cell == RnnCell::lstm) {
          diffs.emplace_back(DNNL_ARG_DIFF_DST_ITER_C, in_scratch(m.state, kDiffDstIterC));
          diffs.emplace_back(DNNL_ARG_DIFF_SRC_ITER_C, in_scratch(m.state, kDiffSrcIterC));
        }
        if (k_.has_peephole_) diffs.emplace_back(DNNL_ARG_DIFF_WEIGHTS_PEEPHOLE, in_scratch(m.peephole, kDiffPeephole));
        backward.insert(backward.end(), diffs.begin(), diffs.end());
        calls_.add(dir.backward, std::move(backward));
        if (dir.diff_layer_reorder) {
          calls_.add(*dir.diff_layer_reorder,
                     {{DNNL_ARG_FROM, diff_layer}, {DNNL_ARG_TO, in_scratch(m.layer_plain, kDiffLayerPlain)}});
        }
        if (dir.diff_iter_reorder) {
          calls_.add(*dir.diff_iter_reorder,
                     {{DNNL_ARG_FROM, diff_iter}, {DNNL_ARG_TO, in_scratch(m.iter_plain, kDiffIterPlain)}});
        }
        ends_.push_back(calls_.size());
      }
    }

    void run() override {
      const RnnGeometry& g = k_.shape_.g;
      const bool lstm = g.cell == RnnCell::lstm;
      std::span<const Tensor* const> in = binding_.inputs;
      std::span<Tensor* const> out = binding_.outputs;
      auto at = [&](Buffer b) { return reinterpret_cast<float*>(binding_.scratch + k_.offsets_[b]); };
      auto forward_input = [&](size_t index) { return optional_input(in, k_.first_ + index); };
      const int64_t N = g.batch, H = g.hidden, T = g.seq_length, I = g.input_size;
      auto h = static_cast<size_t>(H);

      calls_.follow_tensors();  // a caller may have given X new storage
      for (Tensor* t : out) std::fill_n(t->data<float>(), t->num_elements(), 0.0f);
      if (g.layout == 1) x_to_tnc(g, forward_input(kRnnX), at(kXTnc));
      float* dx = out[0]->data<float>();
      float* dp = lstm && k_.has_peephole_ ? out[6]->data<float>() : nullptr;
      ArrangedParameters arranged{at(kLayerPlain), at(kIterPlain), at(kBias),
                                  k_.has_peephole_ ? at(kPeephole) : nullptr};
      ArrangedParameters diff_plain{at(kDiffLayerPlain), at(kDiffIterPlain), at(kDiffBias),
                                    k_.has_peephole_ ? at(kDiffPeephole) : nullptr};
      size_t begin = 0;
      for (int64_t d = 0; d < g.directions; ++d) {
        const Direction& dir = k_.directions_[static_cast<size_t>(d)];
        arrange_parameters(k_.shape_, d, forward_input(kRnnW), forward_input(kRnnR), forward_input(kRnnB),
                           forward_input(kRnnP), arranged);
        gather_state(g, d, forward_input(kRnnInitialH), at(kSrcIter));
        if (lstm) gather_state(g, d, forward_input(kRnnInitialC), at(kSrcIterC));
        // This direction's output gradients.
        float* diff_dst = at(kDiffDstLayer);
        const float* dy = in[0]->data<float>();
        if (in[0]->shape().empty()) {
          std::fill_n(diff_dst, T * N * H, dy[0]);
        } else {
          for (int64_t t = 0; t < T; ++t) {
            for (int64_t n = 0; n < N; ++n) std::copy_n(dy + g.y_at(t, d, n), h, diff_dst + (t * N + n) * H);
          }
        }
        gather_output_grad_state(g, d, *in[1], at(kDiffDstIter));
        if (lstm) gather_output_grad_state(g, d, *in[2], at(kDiffDstIterC));
        // oneDNN accumulates into the parameters' gradients.
        std::memset(at(k_.diff_layer_buffer(dir)), 0, dir.diff_layer.get_size());
        std::memset(at(k_.diff_iter_buffer(dir)), 0, dir.diff_iter.get_size());
        std::memset(diff_plain.bias, 0, k_.m_.bias.get_size());
        if (k_.has_peephole_) std::memset(diff_plain.peephole, 0, k_.m_.peephole.get_size());

        size_t end = ends_[static_cast<size_t>(d)];
        calls_.execute(begin, end);
        thread_stream().wait();
        begin = end;

        scatter_parameter_gradients(k_.shape_, d, diff_plain, out[1]->data<float>(), out[2]->data<float>(),
                                    out[3]->data<float>(), dp);
        const float* diff_src = at(kDiffSrcLayer);
        for (int64_t t = 0; t < T; ++t) {
          for (int64_t n = 0; n < N; ++n) {
            const float* row = diff_src + (t * N + n) * I;
            float* to = dx + g.x_at(t, n);
            for (int64_t i = 0; i < I; ++i) to[i] += row[i];
          }
        }
        for (int64_t n = 0; n < N; ++n) {
          std::copy_n(at(kDiffSrcIter) + n * H, h, out[4]->data<float>() + g.state_at(d, n));
          if (lstm) std::copy_n(at(kDiffSrcIterC) + n * H, h, out[5]->data<float>() + g.state_at(d, n));
        }
      }
    }

   private:
    const RnnGradPrimitiveKernel& k_;
    KernelBinding binding_;
    PreparedCalls calls_;
    std::vector<size_t> ends_;  // per direction, the end of its calls
  };

  /// The buffers the backward primitive writes the weights' gradients into:
  /// the plain ones when it wants them plain.
  static Buffer diff_layer_buffer(const Direction& dir) { return dir.diff_layer_reorder ? kDiffLayer : kDiffLayerPlain; }
  static Buffer diff_iter_buffer(const Direction& dir) { return dir.diff_iter_reorder ? kDiffIter : kDiffIterPlain; }

  /// Direction d's rows of a state's gradient (or its scalar value) as [N, H].
  static void gather_output_grad_state(const RnnGeometry& g, int64_t d, const Tensor& grad, float* to) {
    if (grad.shape().empty()) {
      std::fill_n(to, g.batch * g.hidden, grad.data<float>()[0]);
    } else {
      gather_state(g, d, grad.data<float>(), to);
    }
  }

  size_t first_;  // the forward op's first input
  RnnShape shape_;
  bool has_peephole_;
  RnnDescs m_;
  std::vector<Direction> directions_;
  std::array<size_t, kBufferCount> offsets_{};
};

}  // namespace

void register_onednn_rnn_grad_kernels(KernelRegistry& r) {
  r.add("LSTMGrad", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    return std::make_unique<RnnGradPrimitiveKernel>(spec, RnnCell::lstm);
  });
  r.add("GRUGrad", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    return std::make_unique<RnnGradPrimitiveKernel>(spec, RnnCell::gru);
  });
}

}  // namespace graphc
