// Reference kernels of the gradient ops (compiler/ops/gradient_ops.cc), all f32.
//
// Backward kernels walk the forward op's geometry and accumulate into their
// zeroed outputs. SliceGrad and PadGrad find which input element each output
// element of the forward op reads by running the forward reference kernel
// once, at load, on the input's element indices; the backward pass adds dy
// back along that map.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/normalization.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"
#include "runtime/kernels/reference/window.h"

namespace graphc {
namespace {

void zero(Tensor* t) { std::fill_n(t->data<float>(), t->num_elements(), 0.0f); }

/// Checks `inputs` inputs and `outputs` outputs, all f32.
void expect_float_arity(const KernelSpec& spec, size_t inputs, size_t outputs) {
  expect_arity(spec, inputs, inputs, outputs);
  expect_input_dtype(spec, 0, {DType::f32});
  expect_one_dtype(spec);
}

/// The f32 type of the int list attribute `attr` (a forward input's shape).
TensorType shape_attr(const KernelSpec& spec, const char* attr) {
  std::vector<int64_t> dims = spec.attrs.get_ints(attr);
  if (std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; })) {
    fail(spec, fmt::format("attribute '{}' = [{}] has a negative dim", attr, fmt::join(dims, ",")));
  }
  return {DType::f32, dims};
}

/// dx[i] = fn(dy[i], x[i]).
template <class Fn>
KernelFactory activation_grad(Fn fn) {
  return [fn](const KernelSpec& spec) {
    expect_float_arity(spec, 2, 1);
    expect_input_shape(spec, 1, spec.inputs[0].shape, "the shape of dy");
    expect_output_type(spec, 0, spec.inputs[0]);
    return make_kernel([fn](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
      const float* dy = in[0]->data<float>();
      const float* x = in[1]->data<float>();
      float* dx = out[0]->data<float>();
      for (int64_t i = 0; i < out[0]->num_elements(); ++i) dx[i] = fn(dy[i], x[i]);
    });
  };
}

/// d/dx of x·Φ(x) = Φ(x) + x·φ(x).
float gelu_exact_grad(float dy, float x) {
  double cdf = 0.5 * (1.0 + std::erf(x * std::numbers::sqrt2 / 2));
  double pdf = std::exp(-0.5 * x * x) * std::numbers::inv_sqrtpi / std::numbers::sqrt2;
  return static_cast<float>(dy * (cdf + x * pdf));
}

/// d/dx of 0.5·x·(1 + tanh(u)), u = k·(x + c·x³).
float gelu_tanh_grad(float dy, float x) {
  const double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
  const double c = 0.044715;
  double t = std::tanh(k * (x + c * x * x * x));
  double du = k * (1 + 3 * c * x * x);
  return static_cast<float>(dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du));
}

std::unique_ptr<Kernel> make_gelu_grad(const KernelSpec& spec) {
  const std::string& approximate = spec.attrs.get_string("approximate");
  if (approximate == "none") return activation_grad(gelu_exact_grad)(spec);
  if (approximate == "tanh") return activation_grad(gelu_tanh_grad)(spec);
  fail(spec, fmt::format("attribute 'approximate' is \"{}\", expected \"none\" or \"tanh\"", approximate));
}

/// MaximumGrad/MinimumGrad: dy (the broadcast shape) goes to da where
/// `picks_a` (the forward op's choice), to db elsewhere.
template <bool (*picks_a)(float, float)>
std::unique_ptr<Kernel> make_select_grad(const KernelSpec& spec) {
  expect_float_arity(spec, 3, 2);
  const Shape& dy = spec.inputs[0].shape;
  auto shape = broadcast_shapes(spec.inputs[1].shape, spec.inputs[2].shape);
  if (!shape || *shape != dy) {
    fail(spec, fmt::format("dy {} must have the broadcast shape of a {} and b {}", spec.inputs[0].to_string(),
                           spec.inputs[1].to_string(), spec.inputs[2].to_string()));
  }
  expect_output_type(spec, 0, spec.inputs[0]);
  expect_output_type(spec, 1, spec.inputs[0]);
  return make_kernel([a_map = broadcast_offsets(spec.inputs[1].shape, dy),
                      b_map = broadcast_offsets(spec.inputs[2].shape, dy)](std::span<const Tensor* const> in,
                                                                           std::span<Tensor* const> out) {
    const float* dy = in[0]->data<float>();
    const float* a = in[1]->data<float>();
    const float* b = in[2]->data<float>();
    float* da = out[0]->data<float>();
    float* db = out[1]->data<float>();
    for (size_t i = 0; i < a_map.size(); ++i) {
      bool to_a = picks_a(a[a_map[i]], b[b_map[i]]);
      da[i] = to_a ? dy[i] : 0.0f;
      db[i] = to_a ? 0.0f : dy[i];
    }
  });
}

bool maximum_picks_a(float a, float b) { return a > b || std::isnan(a); }
bool minimum_picks_a(float a, float b) { return a < b || std::isnan(a); }

/// dx[e] = dy[o] / (ties of o) where x[e] equals its reduction o's max y[o].
class ReduceMaxGradKernel final : public Kernel {
 public:
  explicit ReduceMaxGradKernel(const KernelSpec& spec) {
    const Shape& x = spec.inputs[1].shape;
    auto rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> attr = spec.attrs.get_ints("axes");
    auto axes = reduction_axes(attr, rank);
    if (!axes) fail(spec, fmt::format("axes [{}] are out of range or repeated for rank {}", fmt::join(attr, ","), rank));
    Shape y = reduced_shape(x, *axes, spec.attrs.get_bool("keepdims"));
    expect_input_shape(spec, 0, y, "the shape of ReduceMax's output");
    expect_input_shape(spec, 2, y, "the shape of ReduceMax's output");
    expect_output_type(spec, 0, spec.inputs[1]);
    Shape reduced(x.size(), 1);
    for (int64_t a : *axes) reduced[a] = x[a];
    std::vector<int64_t> strides = strides_of(x);
    kept_ = strided_offsets(reduced_shape(x, *axes, true), strides);
    reduced_ = strided_offsets(reduced, strides);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* dy = in[0]->data<float>();
    const float* x = in[1]->data<float>();
    const float* y = in[2]->data<float>();
    float* dx = out[0]->data<float>();
    for (size_t o = 0; o < kept_.size(); ++o) {
      auto ties = std::count_if(reduced_.begin(), reduced_.end(), [&](int64_t r) { return x[kept_[o] + r] == y[o]; });
      for (int64_t r : reduced_) {
        dx[kept_[o] + r] = x[kept_[o] + r] == y[o] ? dy[o] / static_cast<float>(ties) : 0.0f;
      }
    }
  }

 private:
  std::vector<int64_t> kept_, reduced_;
};

/// Conv2DBackpropInput (dx += dy·w) and Conv2DBackpropFilter (dw += dy·x,
/// and with `bias_gradient` db[o] += dy[n, o, h, w]).
class ConvBackpropKernel final : public Kernel {
 public:
  ConvBackpropKernel(const KernelSpec& spec, bool filter)
      : filter_(filter),
        bias_(filter && spec.attrs.has("bias_gradient") && spec.attrs.get_bool("bias_gradient")),
        taps_(spec, filter ? spec.inputs[1] : shape_attr(spec, "input_shape"),
              filter ? shape_attr(spec, "filter_shape").shape : spec.inputs[1].shape) {
    expect_input_shape(spec, 0, taps_.output_shape(), "Conv2D's output for these x and w");
    TensorType result = filter ? shape_attr(spec, "filter_shape") : shape_attr(spec, "input_shape");
    expect_output_type(spec, 0, result);
    if (spec.outputs.size() != (bias_ ? 2u : 1u)) {
      fail(spec, fmt::format("has {} outputs, expected {}", spec.outputs.size(), bias_ ? 2 : 1));
    }
    if (bias_) expect_output_type(spec, 1, {DType::f32, {result.shape.at(0)}});
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* dy = in[0]->data<float>();
    const float* other = in[1]->data<float>();  // w for dx, x for dw
    float* result = out[0]->data<float>();
    zero(out[0]);
    if (filter_) {
      taps_.for_each([&](int64_t x, int64_t w, int64_t y) { result[w] += dy[y] * other[x]; });
    } else {
      taps_.for_each([&](int64_t x, int64_t w, int64_t y) { result[x] += dy[y] * other[w]; });
    }
    if (bias_) sum_channels(*in[0], *out[1]);
  }

 private:
  /// db[c] = Σ dy[n, c, ...].
  static void sum_channels(const Tensor& dy, Tensor& db) {
    const Shape& shape = dy.shape();
    int64_t channels = shape[1];
    int64_t plane = num_elements(Shape(shape.begin() + 2, shape.end()));
    const float* from = dy.data<float>();
    float* sums = db.data<float>();
    std::fill(sums, sums + channels, 0.0f);
    for (int64_t n = 0; n < shape[0]; ++n) {
      for (int64_t c = 0; c < channels; ++c, from += plane) {
        for (int64_t i = 0; i < plane; ++i) sums[c] += from[i];
      }
    }
  }

  bool filter_;
  bool bias_;
  ConvTaps taps_;
};

/// MaxPoolGrad (dy to each window's first max, as MaxPool picks it) and
/// AvgPoolGrad (dy spread over the window's counted taps).
class PoolGradKernel final : public Kernel {
 public:
  PoolGradKernel(const KernelSpec& spec, bool max) : max_(max) {
    TensorType x = max ? spec.inputs[1] : shape_attr(spec, "input_shape");
    window_ = pool_window_of(spec, x);
    count_include_pad_ = !max && spec.attrs.get_bool("count_include_pad");
    expect_input_shape(spec, 0, {window_.batch, window_.channels, window_.out_h, window_.out_w},
                       fmt::format("the pooling's output for x {}", x.to_string()));
    expect_output_type(spec, 0, x);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const Window& g = window_;
    const float* dy = in[0]->data<float>();
    zero(out[0]);
    int64_t plane_size = g.in_h * g.in_w;
    for (int64_t plane = 0; plane < g.batch * g.channels; ++plane) {
      const float* x = max_ ? in[1]->data<float>() + plane * plane_size : nullptr;
      float* dx = out[0]->data<float>() + plane * plane_size;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        for (int64_t ow = 0; ow < g.out_w; ++ow, ++dy) {
          std::vector<int64_t> taps;
          for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
            for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
              int64_t ih = g.row(oh, kh), iw = g.col(ow, kw);
              if (g.inside(ih, iw)) taps.push_back(ih * g.in_w + iw);
            }
          }
          if (max_) {
            dx[first_max(x, taps)] += *dy;
            continue;
          }
          auto count = static_cast<float>(count_include_pad_ ? g.padded_taps(oh, ow) : taps.size());
          for (int64_t t : taps) dx[t] += *dy / count;
        }
      }
    }
  }

 private:
  /// The tap MaxPool's `v > max || isnan(v)` scan ends on.
  static int64_t first_max(const float* x, const std::vector<int64_t>& taps) {
    int64_t best = taps.front();
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t t : taps) {
      if (x[t] > max || std::isnan(x[t])) {
        max = x[t];
        best = t;
      }
    }
    return best;
  }

  bool max_;
  Window window_;
  bool count_include_pad_ = false;
};

/// LayerNormGrad and BatchNormTrainingGrad: with x̂ = (x − mean)·r over each
/// group of M elements and d = dy·scale, dx = r·(d − Σd/M − x̂·Σ(d·x̂)/M),
/// dscale = Σ dy·x̂ and dbias = Σ dy (per channel for batch norm, per
/// position within the group for layer norm).
class NormalizationGradKernel final : public Kernel {
 public:
  NormalizationGradKernel(const KernelSpec& spec, bool per_channel)
      : epsilon_(non_negative_float_attr(spec, "epsilon")), per_channel_(per_channel) {
    expect_min_rank(spec, 1, per_channel ? 2 : 1);
    const Shape& x = spec.inputs[1].shape;
    expect_input_shape(spec, 0, x, "the shape of x");
    Shape params;
    if (per_channel) {
      params = {x[1]};
      groups_ = NormalizationGroups::per_channel(x);
    } else {
      int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(x.size()));
      params.assign(x.begin() + axis, x.end());
      groups_ = NormalizationGroups::trailing(x, axis);
    }
    expect_input_shape(spec, 2, params, "the shape of scale");
    expect_output_type(spec, 0, spec.inputs[1]);
    expect_output_type(spec, 1, spec.inputs[2]);
    expect_output_type(spec, 2, spec.inputs[2]);
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* dy = in[0]->data<float>();
    const float* x = in[1]->data<float>();
    const float* scale = in[2]->data<float>();
    float* dx = out[0]->data<float>();
    float* dscale = out[1]->data<float>();
    float* dbias = out[2]->data<float>();
    zero(out[1]);
    zero(out[2]);
    auto count = static_cast<double>(groups_.members.size());
    for (size_t g = 0; g < groups_.groups.size(); ++g) {
      Moments m = groups_.moments(x, g, epsilon_);
      double sum_d = 0, sum_d_xhat = 0;
      for (size_t k = 0; k < groups_.members.size(); ++k) {
        int64_t i = groups_.groups[g] + groups_.members[k];
        size_t p = per_channel_ ? g : k;
        double xhat = (x[i] - m.mean) * m.inv_std;
        sum_d += dy[i] * scale[p];
        sum_d_xhat += dy[i] * scale[p] * xhat;
        dscale[p] += static_cast<float>(dy[i] * xhat);
        dbias[p] += dy[i];
      }
      for (size_t k = 0; k < groups_.members.size(); ++k) {
        int64_t i = groups_.groups[g] + groups_.members[k];
        double xhat = (x[i] - m.mean) * m.inv_std;
        double d = dy[i] * scale[per_channel_ ? g : k];
        dx[i] = static_cast<float>(m.inv_std * (d - sum_d / count - xhat * sum_d_xhat / count));
      }
    }
  }

 private:
  float epsilon_;
  bool per_channel_;
  NormalizationGroups groups_;
};

/// The x element each output element of `forward` reads (-1: the fill):
/// forward's reference kernel run on x's element indices (as i64). It also
/// checks dy (input 0) has the type forward gives.
std::vector<int64_t> read_offsets(const KernelSpec& spec, const std::string& forward) {
  std::map<std::string, proto::AttrValue> values = spec.attrs.values();
  values.erase("input_shape");
  if (values.count("value")) values["value"].set_f(-1.0f);
  AttrMap attrs(spec.node(), forward, std::move(values));
  TensorType x{DType::i64, shape_attr(spec, "input_shape").shape};
  TensorType y{DType::i64, spec.inputs[0].shape};
  auto kernel = KernelRegistry::reference().create(KernelSpec{attrs, std::span(&x, 1), std::span(&y, 1)});
  Tensor indices(x), offsets(y);
  std::iota(indices.data<int64_t>(), indices.data<int64_t>() + indices.num_elements(), int64_t{0});
  const Tensor* in[] = {&indices};
  Tensor* out[] = {&offsets};
  kernel->run(in, out);
  return {offsets.data<int64_t>(), offsets.data<int64_t>() + offsets.num_elements()};
}

/// SliceGrad and PadGrad: dx[offsets[i]] += dy[i].
KernelFactory scatter_add_grad(const char* forward) {
  return [forward](const KernelSpec& spec) {
    expect_float_arity(spec, 1, 1);
    expect_output_type(spec, 0, shape_attr(spec, "input_shape"));
    return make_kernel([offsets = read_offsets(spec, forward)](std::span<const Tensor* const> in,
                                                               std::span<Tensor* const> out) {
      const float* dy = in[0]->data<float>();
      float* dx = out[0]->data<float>();
      zero(out[0]);
      for (size_t i = 0; i < offsets.size(); ++i) {
        if (offsets[i] >= 0) dx[offsets[i]] += dy[i];
      }
    });
  };
}

/// GatherGrad: data viewed as [outer, dim, inner] and dy as [outer, count,
/// inner]; each dy block is added to the data block its index picked.
template <class Index>
class GatherGradKernel final : public Kernel {
 public:
  GatherGradKernel(const KernelSpec& spec, int64_t axis, const Shape& data)
      : node_(spec.node()), op_(spec.op()) {
    outer_ = num_elements(Shape(data.begin(), data.begin() + axis));
    dim_ = data[axis];
    count_ = num_elements(spec.inputs[1].shape);
    inner_ = num_elements(Shape(data.begin() + axis + 1, data.end()));
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const float* dy = in[0]->data<float>();
    const Index* indices = in[1]->data<Index>();
    float* dx = out[0]->data<float>();
    zero(out[0]);
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t j = 0; j < count_; ++j, dy += inner_) {
        int64_t index = indices[j] < 0 ? indices[j] + dim_ : indices[j];
        if (index < 0 || index >= dim_) {
          throw Error::at_node(node_, op_, fmt::format("index {} (indices element {}) is out of range for a dim of {}",
                                                       indices[j], j, dim_));
        }
        float* block = dx + (o * dim_ + index) * inner_;
        for (int64_t k = 0; k < inner_; ++k) block[k] += dy[k];
      }
    }
  }

 private:
  std::string node_, op_;
  int64_t outer_ = 0, dim_ = 0, count_ = 0, inner_ = 0;
};

std::unique_ptr<Kernel> make_gather_grad(const KernelSpec& spec) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 0, {DType::f32});
  expect_input_dtype(spec, 1, {DType::i32, DType::i64});
  TensorType data = shape_attr(spec, "input_shape");
  int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(data.shape.size()));
  Shape dy(data.shape.begin(), data.shape.begin() + axis);
  dy.insert(dy.end(), spec.inputs[1].shape.begin(), spec.inputs[1].shape.end());
  dy.insert(dy.end(), data.shape.begin() + axis + 1, data.shape.end());
  expect_input_shape(spec, 0, dy, "Gather's output for these indices");
  expect_output_type(spec, 0, data);
  if (spec.inputs[1].dtype == DType::i32) return std::make_unique<GatherGradKernel<int32_t>>(spec, axis, data.shape);
  return std::make_unique<GatherGradKernel<int64_t>>(spec, axis, data.shape);
}

/// A factory of an all-f32 kernel K(spec, args...) with fixed arity.
template <class K, class... Args>
KernelFactory float_kernel(size_t inputs, size_t outputs, Args... args) {
  return [=](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_float_arity(spec, inputs, outputs);
    return std::make_unique<K>(spec, args...);
  };
}

}  // namespace

void register_reference_gradient_kernels(KernelRegistry& r) {
  r.add("ReluGrad", activation_grad([](float dy, float x) { return x > 0.0f ? dy : 0.0f; }));
  r.add("GeluGrad", make_gelu_grad);
  r.add("MaximumGrad", make_select_grad<maximum_picks_a>);
  r.add("MinimumGrad", make_select_grad<minimum_picks_a>);
  r.add("ReduceMaxGrad", float_kernel<ReduceMaxGradKernel>(3, 1));
  r.add("Conv2DBackpropInput", float_kernel<ConvBackpropKernel>(2, 1, false));
  r.add("Conv2DBackpropFilter", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_float_arity(spec, 2, spec.outputs.size() == 2 ? 2 : 1);
    return std::make_unique<ConvBackpropKernel>(spec, true);
  });
  r.add("MaxPoolGrad", float_kernel<PoolGradKernel>(2, 1, true));
  r.add("AvgPoolGrad", float_kernel<PoolGradKernel>(1, 1, false));
  r.add("LayerNormGrad", float_kernel<NormalizationGradKernel>(3, 3, false));
  r.add("BatchNormTrainingGrad", float_kernel<NormalizationGradKernel>(3, 3, true));
  r.add("SliceGrad", scatter_add_grad("Slice"));
  r.add("PadGrad", scatter_add_grad("Pad"));
  r.add("GatherGrad", make_gather_grad);
}

}  // namespace graphc
