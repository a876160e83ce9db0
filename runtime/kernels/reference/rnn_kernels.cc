// Reference kernels of LSTM and GRU (ONNX semantics) and of their backward
// ops LSTMGrad and GRUGrad.
//
// Each direction of each sequence n runs on its own: L_n = sequence_lens[n]
// steps (all T when absent), forward in time for direction 0 of "forward"
// and "bidirectional", backward for "reverse" and direction 1. A step's
// trace keeps the gates' pre-activations (before the clip) and values and
// the states before and after it. The forward kernel writes h of each step
// into Y (zeros at t >= L_n) and the last state into Y_h (Y_c); with L_n = 0
// Y_h is initial_h. The backward kernels recompute the trace, then walk it
// back (backpropagation through time): at each step the gradient reaching h
// is dY[t] plus what the next step sent back, and the gate gradients give dX,
// dW, dR, dB and the peepholes' dP by outer products, and dh (dc) of the
// step before. A clipped pre-activation passes no gradient.
//
// Plain loops in float; gradients accumulate in float (small models only:
// this is the oracle, not the fast path).
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "graphc/error.h"
#include "runtime/core/rnn_shapes.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

/// The attributes and geometry of an RNN step, checked at load.
struct RnnConfig {
  RnnGeometry g;
  std::optional<float> clip;
  bool input_forget = false;         // LSTM
  bool linear_before_reset = false;  // GRU
  size_t first = 0;                  // the node's input index of X
  size_t num_inputs = 0;             // forward inputs present

  float clipped(float x) const { return clip ? std::min(std::max(x, -*clip), *clip) : x; }
  /// The derivative of the clip at x: 1 inside, 0 where it clips.
  float clip_slope(float x) const { return clip && std::abs(x) > *clip ? 0.0f : 1.0f; }
  bool backward_in_time(int64_t d) const { return g.reverse || d == 1; }
};

/// Checks the forward inputs (the spec's inputs from `first` on) and the
/// attributes; fails naming the node.
RnnConfig rnn_config(const KernelSpec& spec, RnnCell cell, size_t first) {
  std::vector<Shape> shapes;
  for (size_t i = first; i < spec.inputs.size(); ++i) {
    size_t index = i - first;
    if (index == kRnnSequenceLens) {
      expect_input_dtype(spec, i, {DType::i32, DType::i64});
    } else {
      expect_input_dtype(spec, i, {DType::f32});
    }
    shapes.push_back(spec.inputs[i].shape);
  }
  RnnGeometryResult result = rnn_geometry(cell, shapes, spec.attrs.get_string("direction"),
                                          spec.attrs.get_int("hidden_size"), spec.attrs.get_int("layout"));
  if (!result.error.empty()) fail(spec, result.error);
  RnnConfig config;
  config.g = result.geometry;
  if (auto error = unsupported_rnn_activations(cell, spec.attrs.get_strings("activations"), config.g.directions)) {
    fail(spec, *error);
  }
  if (spec.attrs.has("clip")) {
    config.clip = spec.attrs.get_float("clip");
    if (!(*config.clip > 0)) fail(spec, fmt::format("attribute 'clip' = {} must be > 0", *config.clip));
  }
  if (cell == RnnCell::lstm) config.input_forget = spec.attrs.get_bool("input_forget");
  if (cell == RnnCell::gru) config.linear_before_reset = spec.attrs.get_bool("linear_before_reset");
  config.first = first;
  config.num_inputs = shapes.size();
  return config;
}

void expect_outputs(const KernelSpec& spec, const std::vector<Shape>& shapes) {
  if (spec.outputs.size() != shapes.size()) {
    fail(spec, fmt::format("expected {} outputs, found {}", shapes.size(), spec.outputs.size()));
  }
  for (size_t i = 0; i < shapes.size(); ++i) expect_output_type(spec, i, {DType::f32, shapes[i]});
}

/// One run's forward inputs; null where absent.
struct RnnData {
  const float* x = nullptr;
  const float* w = nullptr;
  const float* r = nullptr;
  const float* b = nullptr;
  const float* h0 = nullptr;
  const float* c0 = nullptr;
  const float* p = nullptr;
  std::vector<int64_t> lengths;  // per sequence
};

RnnData rnn_data(const RnnConfig& config, std::span<const Tensor* const> in, const std::string& node,
                 const std::string& op) {
  auto input = [&](size_t index) -> const float* {
    return index < config.num_inputs ? in[config.first + index]->data<float>() : nullptr;
  };
  RnnData data;
  data.x = input(kRnnX);
  data.w = input(kRnnW);
  data.r = input(kRnnR);
  data.b = input(kRnnB);
  data.h0 = input(kRnnInitialH);
  if (config.g.cell == RnnCell::lstm) {
    data.c0 = input(kRnnInitialC);
    data.p = input(kRnnP);
  }
  data.lengths.assign(static_cast<size_t>(config.g.batch), config.g.seq_length);
  if (config.num_inputs > kRnnSequenceLens) {
    const Tensor& lens = *in[config.first + kRnnSequenceLens];
    for (int64_t n = 0; n < config.g.batch; ++n) {
      int64_t len = lens.dtype() == DType::i32 ? lens.data<int32_t>()[n] : lens.data<int64_t>()[n];
      if (len < 0 || len > config.g.seq_length) {
        throw Error::at_node(node, op,
                             fmt::format("sequence_lens[{}] = {} is outside [0, {}] (seq_length)", n, len,
                                         config.g.seq_length));
      }
      data.lengths[static_cast<size_t>(n)] = len;
    }
  }
  return data;
}

/// out[i] += Σ_j m[i, j] · v[j] over an rows × cols row-major m.
void add_product(const float* m, int64_t rows, int64_t cols, const float* v, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    float sum = 0.0f;
    for (int64_t j = 0; j < cols; ++j) sum += m[i * cols + j] * v[j];
    out[i] += sum;
  }
}

/// out[j] += Σ_i m[i, j] · v[i] (the transpose's product).
void add_transposed_product(const float* m, int64_t rows, int64_t cols, const float* v, float* out) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) out[j] += m[i * cols + j] * v[i];
  }
}

/// m[i, j] += u[i] · v[j].
void add_outer(float* m, int64_t rows, int64_t cols, const float* u, const float* v) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) m[i * cols + j] += u[i] * v[j];
  }
}

/// One direction d of one sequence n, step by step.
struct Trace {
  int64_t d = 0, n = 0;
  std::vector<int64_t> time;  // the t of each step
  std::vector<float> pre;     // [steps, G·H] gate pre-activations, before the clip
  std::vector<float> act;     // [steps, G·H] gate values
  std::vector<float> h;       // [steps + 1, H]: before step 0, then after each step
  std::vector<float> c;       // LSTM: as h
  std::vector<float> q;       // GRU: [steps, H] R_h·h + Rb_h (linear_before_reset) or r ⊙ h

  int64_t steps() const { return static_cast<int64_t>(time.size()); }

  /// Step s's rows (H wide, GH for the gates); c and q are null where unused.
  struct Step {
    float* h_prev;
    float* h;
    float* c_prev;
    float* c;
    float* pre;
    float* act;
    float* q;
  };
  Step step(int64_t s, int64_t H, int64_t GH) {
    auto at = [](std::vector<float>& v, int64_t offset) { return v.empty() ? nullptr : v.data() + offset; };
    return {at(h, s * H), at(h, (s + 1) * H), at(c, s * H), at(c, (s + 1) * H), at(pre, s * GH), at(act, s * GH),
            at(q, s * H)};
  }
  /// As above, read-only.
  Step step(int64_t s, int64_t H, int64_t GH) const { return const_cast<Trace*>(this)->step(s, H, GH); }
};

/// The per-direction slices of the weights.
struct DirectionWeights {
  const float* w;   // [G·H, I]
  const float* r;   // [G·H, H]
  const float* wb;  // [G·H] or null
  const float* rb;  // [G·H] or null
  const float* p;   // [3·H] or null
};

DirectionWeights weights_of(const RnnGeometry& g, const RnnData& data, int64_t d) {
  int64_t gh = g.gates() * g.hidden;
  DirectionWeights dw{data.w + d * gh * g.input_size, data.r + d * gh * g.hidden, nullptr, nullptr, nullptr};
  if (data.b != nullptr) {
    dw.wb = data.b + d * 2 * gh;
    dw.rb = dw.wb + gh;
  }
  if (data.p != nullptr) dw.p = data.p + d * 3 * g.hidden;
  return dw;
}

/// A trace's steps and initial state.
Trace start_trace(const RnnConfig& config, const RnnData& data, int64_t d, int64_t n) {
  const RnnGeometry& g = config.g;
  Trace trace;
  trace.d = d;
  trace.n = n;
  int64_t length = data.lengths[static_cast<size_t>(n)];
  for (int64_t s = 0; s < length; ++s) trace.time.push_back(config.backward_in_time(d) ? length - 1 - s : s);
  auto steps = static_cast<size_t>(length);
  auto gh = static_cast<size_t>(g.gates() * g.hidden);
  auto h = static_cast<size_t>(g.hidden);
  trace.pre.resize(steps * gh);
  trace.act.resize(steps * gh);
  trace.h.assign((steps + 1) * h, 0.0f);
  if (data.h0 != nullptr) std::copy_n(data.h0 + g.state_at(d, n), h, trace.h.begin());
  if (g.cell == RnnCell::lstm) {
    trace.c.assign((steps + 1) * h, 0.0f);
    if (data.c0 != nullptr) std::copy_n(data.c0 + g.state_at(d, n), h, trace.c.begin());
  } else {
    trace.q.resize(steps * h);
  }
  return trace;
}

/// One ONNX LSTM step (gates i, o, f, c; peepholes P in the order i, o,
/// f) on input row x; `a` has room for the 4·H gate sums.
void lstm_step(const RnnConfig& config, const DirectionWeights& wt, const float* x, const Trace::Step& st, float* a) {
  const int64_t H = config.g.hidden, GH = 4 * H;
  for (int64_t k = 0; k < GH; ++k) a[k] = wt.wb != nullptr ? wt.wb[k] + wt.rb[k] : 0.0f;
  add_product(wt.w, GH, config.g.input_size, x, a);
  add_product(wt.r, GH, H, st.h_prev, a);
  for (int64_t j = 0; j < H; ++j) {
    float pi = a[j] + (wt.p != nullptr ? wt.p[j] * st.c_prev[j] : 0.0f);
    float pf = a[2 * H + j] + (wt.p != nullptr ? wt.p[2 * H + j] * st.c_prev[j] : 0.0f);
    float pc = a[3 * H + j];
    float i = sigmoid(config.clipped(pi));
    float f = config.input_forget ? 1.0f - i : sigmoid(config.clipped(pf));
    float cc = std::tanh(config.clipped(pc));
    st.c[j] = f * st.c_prev[j] + i * cc;
    float po = a[H + j] + (wt.p != nullptr ? wt.p[H + j] * st.c[j] : 0.0f);
    float o = sigmoid(config.clipped(po));
    st.h[j] = o * std::tanh(st.c[j]);
    st.pre[j] = pi, st.pre[H + j] = po, st.pre[2 * H + j] = pf, st.pre[3 * H + j] = pc;
    st.act[j] = i, st.act[H + j] = o, st.act[2 * H + j] = f, st.act[3 * H + j] = cc;
  }
}

/// One ONNX GRU step (gates z, r, h) on input row x; `scratch` has room
/// for 6·H floats (the input and the recurrent gate sums).
void gru_step(const RnnConfig& config, const DirectionWeights& wt, const float* x, const Trace::Step& st,
              float* scratch) {
  const int64_t H = config.g.hidden, GH = 3 * H;
  float* ax = scratch;
  float* ah = scratch + GH;
  for (int64_t k = 0; k < GH; ++k) {
    ax[k] = wt.wb != nullptr ? wt.wb[k] : 0.0f;
    ah[k] = wt.rb != nullptr ? wt.rb[k] : 0.0f;
  }
  add_product(wt.w, GH, config.g.input_size, x, ax);
  add_product(wt.r, 2 * H, H, st.h_prev, ah);  // z and r
  float* pre = st.pre;
  for (int64_t j = 0; j < 2 * H; ++j) {
    pre[j] = ax[j] + ah[j];
    st.act[j] = sigmoid(config.clipped(pre[j]));
  }
  const float* r = st.act + H;
  const float* rh_weights = wt.r + 2 * H * H;
  if (config.linear_before_reset) {
    for (int64_t j = 0; j < H; ++j) st.q[j] = ah[2 * H + j];
    add_product(rh_weights, H, H, st.h_prev, st.q);
    for (int64_t j = 0; j < H; ++j) pre[2 * H + j] = ax[2 * H + j] + r[j] * st.q[j];
  } else {
    for (int64_t j = 0; j < H; ++j) st.q[j] = r[j] * st.h_prev[j];
    for (int64_t j = 0; j < H; ++j) pre[2 * H + j] = ax[2 * H + j] + ah[2 * H + j];
    add_product(rh_weights, H, H, st.q, pre + 2 * H);
  }
  for (int64_t j = 0; j < H; ++j) {
    float z = st.act[j];
    float hh = st.act[2 * H + j] = std::tanh(config.clipped(pre[2 * H + j]));
    st.h[j] = (1.0f - z) * hh + z * st.h_prev[j];
  }
}

/// Direction d of sequence n, run step by step.
Trace run_trace(const RnnConfig& config, const RnnData& data, int64_t d, int64_t n) {
  const RnnGeometry& g = config.g;
  const int64_t H = g.hidden, GH = g.gates() * H;
  DirectionWeights wt = weights_of(g, data, d);
  Trace tr = start_trace(config, data, d, n);
  std::vector<float> scratch(static_cast<size_t>(2 * GH));
  for (int64_t s = 0; s < tr.steps(); ++s) {
    const float* x = data.x + g.x_at(tr.time[static_cast<size_t>(s)], n);
    if (g.cell == RnnCell::lstm) {
      lstm_step(config, wt, x, tr.step(s, H, GH), scratch.data());
    } else {
      gru_step(config, wt, x, tr.step(s, H, GH), scratch.data());
    }
  }
  return tr;
}


/// LSTM and GRU: Y, Y_h (and Y_c) from each direction's traces.
class RnnKernel final : public Kernel {
 public:
  RnnKernel(const KernelSpec& spec, RnnCell cell)
      : config_(rnn_config(spec, cell, 0)),
        node_(spec.node()),
        op_(spec.op()) {
    expect_outputs(spec, config_.g.outputs());
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const RnnGeometry& g = config_.g;
    RnnData data = rnn_data(config_, in, node_, op_);
    for (Tensor* t : out) std::fill_n(t->data<float>(), t->num_elements(), 0.0f);
    auto h = static_cast<size_t>(g.hidden);
    for (int64_t d = 0; d < g.directions; ++d) {
      for (int64_t n = 0; n < g.batch; ++n) {
        Trace tr = run_trace(config_, data, d, n);
        for (int64_t s = 0; s < tr.steps(); ++s) {
          std::copy_n(&tr.h[(static_cast<size_t>(s) + 1) * h], h, out[0]->data<float>() + g.y_at(tr.time[s], d, n));
        }
        auto last = static_cast<size_t>(tr.steps()) * h;
        std::copy_n(&tr.h[last], h, out[1]->data<float>() + g.state_at(d, n));
        if (out.size() > 2) std::copy_n(&tr.c[last], h, out[2]->data<float>() + g.state_at(d, n));
      }
    }
  }

 private:
  RnnConfig config_;
  std::string node_, op_;
};

/// Where the backward kernels write: dX, dW, dR, dB, d_initial_h (, d_initial_c, dP).
struct RnnGradients {
  float* x;
  float* w;
  float* r;
  float* b;
  float* h0;
  float* c0;  // LSTM
  float* p;   // LSTM
};

/// The gate gradients of one LSTM step (ONNX order i, o, f, c), and the
/// gradient reaching c_prev; `dh`, `dc` are the gradients reaching the
/// step's h and c.
void lstm_step_gradient(const RnnConfig& config, const Trace& tr, const DirectionWeights& wt, int64_t s,
                        const float* dh, const float* dc, float* da, float* dc_prev, float* dp) {
  const int64_t H = config.g.hidden, GH = 4 * H;
  auto [h_prev, h, c_prev, c, pre, act, q] = tr.step(s, H, GH);
  for (int64_t j = 0; j < H; ++j) {
    float i = act[j], o = act[H + j], f = act[2 * H + j], cc = act[3 * H + j];
    float tc = std::tanh(c[j]);
    float dao = dh[j] * tc * o * (1.0f - o) * config.clip_slope(pre[H + j]);
    float dcj = dc[j] + dh[j] * o * (1.0f - tc * tc) + (wt.p != nullptr ? dao * wt.p[H + j] : 0.0f);
    float di = dcj * cc;
    float df = dcj * c_prev[j];
    float daf = 0.0f;
    if (config.input_forget) {
      di -= df;
    } else {
      daf = df * f * (1.0f - f) * config.clip_slope(pre[2 * H + j]);
    }
    float dai = di * i * (1.0f - i) * config.clip_slope(pre[j]);
    float dac = dcj * i * (1.0f - cc * cc) * config.clip_slope(pre[3 * H + j]);
    dc_prev[j] = dcj * f;
    if (wt.p != nullptr) {
      dc_prev[j] += dai * wt.p[j] + daf * wt.p[2 * H + j];
      dp[j] += dai * c_prev[j];
      dp[H + j] += dao * c[j];
      dp[2 * H + j] += daf * c_prev[j];
    }
    da[j] = dai, da[H + j] = dao, da[2 * H + j] = daf, da[3 * H + j] = dac;
  }
}

/// The gate gradients of one GRU step (z, r, h) and the parts of the
/// gradient reaching h_prev that do not go through R_z, R_r or W (added to
/// dh_prev), with R_h's and Rb_h's gradients; `dh` reaches the step's h.
void gru_step_gradient(const RnnConfig& config, const Trace& tr, const DirectionWeights& wt, int64_t s,
                       const float* dh, float* da, float* dh_prev, float* dr_h, float* drb_h) {
  const int64_t H = config.g.hidden, GH = 3 * H;
  auto [h_prev, h, c_prev, c, pre, act, q] = tr.step(s, H, GH);
  const float* rh_weights = wt.r + 2 * H * H;
  std::vector<float> dq(static_cast<size_t>(H), 0.0f);
  for (int64_t j = 0; j < H; ++j) {
    float z = act[j], hh = act[2 * H + j];
    da[j] = dh[j] * (h_prev[j] - hh) * z * (1.0f - z) * config.clip_slope(pre[j]);
    da[2 * H + j] = dh[j] * (1.0f - z) * (1.0f - hh * hh) * config.clip_slope(pre[2 * H + j]);
    dh_prev[j] = dh[j] * z;
  }
  const float* r = act + H;
  const float* dah = da + 2 * H;
  std::vector<float> dr(static_cast<size_t>(H), 0.0f);
  if (config.linear_before_reset) {
    // pre_h = ... + r ⊙ q with q = R_h·h_prev + Rb_h.
    for (int64_t j = 0; j < H; ++j) {
      dr[j] = dah[j] * q[j];
      dq[j] = dah[j] * r[j];
    }
    add_outer(dr_h, H, H, dq.data(), h_prev);
    for (int64_t j = 0; j < H; ++j) drb_h[j] += dq[j];
    add_transposed_product(rh_weights, H, H, dq.data(), dh_prev);
  } else {
    // pre_h = ... + R_h·q + Rb_h with q = r ⊙ h_prev.
    add_transposed_product(rh_weights, H, H, dah, dq.data());
    add_outer(dr_h, H, H, dah, q);
    for (int64_t j = 0; j < H; ++j) {
      drb_h[j] += dah[j];
      dr[j] = dq[j] * h_prev[j];
      dh_prev[j] += dq[j] * r[j];
    }
  }
  for (int64_t j = 0; j < H; ++j) da[H + j] = dr[j] * r[j] * (1.0f - r[j]) * config.clip_slope(pre[H + j]);
}

/// LSTMGrad and GRUGrad: inputs dY, dY_h (, dY_c), then the forward inputs.
class RnnGradKernel final : public Kernel {
 public:
  RnnGradKernel(const KernelSpec& spec, RnnCell cell)
      : config_(rnn_config(spec, cell, cell == RnnCell::lstm ? 3 : 2)),
        node_(spec.node()),
        op_(spec.op()) {
    const RnnGeometry& g = config_.g;
    std::vector<Shape> forward = g.outputs();
    for (size_t i = 0; i < forward.size(); ++i) {
      expect_input_dtype(spec, i, {DType::f32});
      if (!rnn_output_grad_fits(spec.inputs[i].shape, forward[i])) {
        expect_input_shape(spec, i, forward[i], "the forward output's shape or a scalar");
      }
    }
    std::vector<Shape> grads{g.x(), g.w(), g.r(), g.b(), g.state()};
    if (cell == RnnCell::lstm) {
      grads.push_back(g.state());
      grads.push_back(g.p());
    }
    expect_outputs(spec, grads);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const RnnGeometry& g = config_.g;
    bool lstm = g.cell == RnnCell::lstm;
    RnnData data = rnn_data(config_, in, node_, op_);
    for (Tensor* t : out) std::fill_n(t->data<float>(), t->num_elements(), 0.0f);
    RnnGradients grads{out[0]->data<float>(), out[1]->data<float>(), out[2]->data<float>(), out[3]->data<float>(),
                       out[4]->data<float>(), lstm ? out[5]->data<float>() : nullptr,
                       lstm ? out[6]->data<float>() : nullptr};
    std::vector<float> dense_y, dense_h, dense_c;
    const float* dy = dense_output_grad(*in[0], num_elements(g.y()), dense_y);
    const float* dy_h = dense_output_grad(*in[1], num_elements(g.state()), dense_h);
    const float* dy_c = lstm ? dense_output_grad(*in[2], num_elements(g.state()), dense_c) : nullptr;
    const int64_t H = g.hidden, GH = g.gates() * H;
    auto h = static_cast<size_t>(H);
    std::vector<float> dh(h), dc(h), dh_prev(h), dc_prev(h), da(static_cast<size_t>(GH));
    for (int64_t d = 0; d < g.directions; ++d) {
      DirectionWeights wt = weights_of(g, data, d);
      float* dw = grads.w + d * GH * g.input_size;
      float* dr = grads.r + d * GH * H;
      float* dwb = grads.b + d * 2 * GH;
      float* drb = dwb + GH;
      for (int64_t n = 0; n < g.batch; ++n) {
        Trace tr = run_trace(config_, data, d, n);
        std::copy_n(dy_h + g.state_at(d, n), h, dh.begin());
        if (lstm) std::copy_n(dy_c + g.state_at(d, n), h, dc.begin());
        for (int64_t s = tr.steps() - 1; s >= 0; --s) {
          int64_t t = tr.time[static_cast<size_t>(s)];
          const float* x = data.x + g.x_at(t, n);
          const float* h_prev = &tr.h[static_cast<size_t>(s * H)];
          for (int64_t j = 0; j < H; ++j) dh[j] += dy[g.y_at(t, d, n) + j];
          std::fill(dh_prev.begin(), dh_prev.end(), 0.0f);
          if (lstm) {
            lstm_step_gradient(config_, tr, wt, s, dh.data(), dc.data(), da.data(), dc_prev.data(),
                               grads.p + d * 3 * H);
            add_outer(dr, GH, H, da.data(), h_prev);
            add_transposed_product(wt.r, GH, H, da.data(), dh_prev.data());
            for (int64_t k = 0; k < GH; ++k) drb[k] += da[k];
          } else {
            gru_step_gradient(config_, tr, wt, s, dh.data(), da.data(), dh_prev.data(), dr + 2 * H * H,
                              drb + 2 * H);
            add_outer(dr, 2 * H, H, da.data(), h_prev);  // z and r
            add_transposed_product(wt.r, 2 * H, H, da.data(), dh_prev.data());
            for (int64_t k = 0; k < 2 * H; ++k) drb[k] += da[k];
          }
          add_transposed_product(wt.w, GH, g.input_size, da.data(), grads.x + g.x_at(t, n));
          add_outer(dw, GH, g.input_size, da.data(), x);
          for (int64_t k = 0; k < GH; ++k) dwb[k] += da[k];
          dh.swap(dh_prev);
          if (lstm) dc.swap(dc_prev);
        }
        std::copy_n(dh.begin(), h, grads.h0 + g.state_at(d, n));
        if (lstm) std::copy_n(dc.begin(), h, grads.c0 + g.state_at(d, n));
      }
    }
  }

 private:
  RnnConfig config_;
  std::string node_, op_;
};

template <class K>
KernelFactory rnn_factory(RnnCell cell) {
  return [cell](const KernelSpec& spec) -> std::unique_ptr<Kernel> { return std::make_unique<K>(spec, cell); };
}

}  // namespace

void register_reference_rnn_kernels(KernelRegistry& r) {
  r.add("LSTM", rnn_factory<RnnKernel>(RnnCell::lstm));
  r.add("GRU", rnn_factory<RnnKernel>(RnnCell::gru));
  r.add("LSTMGrad", rnn_factory<RnnGradKernel>(RnnCell::lstm));
  r.add("GRUGrad", rnn_factory<RnnGradKernel>(RnnCell::gru));
}

}  // namespace graphc
