// optimizer_ops.cc and optimizer_kernels.cc: three steps of SGDUpdate,
// MomentumUpdate and AdamUpdate against PyTorch 1.13's torch.optim (the
// vectors in tests/data/optimizers, written by make_vectors.py there), run
// once into fresh output tensors and once in place (each output in the
// buffer of the input it replaces); plus shape-inference and run-time errors.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "compiler/ops/op_schema.h"
#include "graphc/npy.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_bool;
using ops::attr_float;

namespace {

// The expected values come from PyTorch's portable CPU kernels, which round
// every f32 operation once in the order the reference kernels use (the
// script checks this bit for bit against a NumPy emulation); built for
// x86-64 without FMA, the kernels match them exactly. The tolerance (≈ 8 ulp
// relative, plus an absolute floor for elements near 0) leaves room for a
// compiler that fuses a multiply-add (-march=native) or a libm whose pow
// differs in the last bit: PyTorch's own AVX2 kernels, which fuse some, land
// within 1.3e-7 relative of these values.
constexpr double kRtol = 1e-6;
constexpr double kAtol = 1e-7;

Tensor load(const std::string& file) {
  return read_npy(std::string(GRAPHC_SOURCE_DIR) + "/tests/data/optimizers/" + file);
}

/// Element `index` of the leading dim of `stacked`, as its own tensor.
Tensor row(const Tensor& stacked, int64_t index) {
  Tensor t(stacked.dtype(), Shape(stacked.shape().begin() + 1, stacked.shape().end()));
  std::memcpy(t.raw_data(), static_cast<const std::byte*>(stacked.raw_data()) + index * t.byte_size(), t.byte_size());
  return t;
}

template <class T>
Tensor scalar(T value) {
  Tensor t(dtype_of<T>(), {});
  *t.data<T>() = value;
  return t;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

/// One configuration of make_vectors.py's CONFIGS: hyper-parameters as the
/// f32 values the script hands torch.optim.
struct Config {
  const char* name;  // expected_<name>.npy
  const char* op;
  float learning_rate;
  Attrs attrs;
};

const std::vector<Config>& configs() {
  static const std::vector<Config> all = {
      {"sgd", "SGDUpdate", 0.1f, {}},
      {"sgd_wd", "SGDUpdate", 0.1f, {{"weight_decay", attr_float(0.05f)}}},
      {"momentum", "MomentumUpdate", 0.05f, {{"momentum", attr_float(0.9f)}}},
      {"nesterov_wd",
       "MomentumUpdate",
       0.05f,
       {{"momentum", attr_float(0.8f)}, {"nesterov", attr_bool(true)}, {"weight_decay", attr_float(0.01f)}}},
      {"adam", "AdamUpdate", 0.01f, {}},
      {"adam_l2",
       "AdamUpdate",
       0.02f,
       {{"beta1", attr_float(0.8f)},
        {"beta2", attr_float(0.99f)},
        {"epsilon", attr_float(1e-6f)},
        {"weight_decay", attr_float(0.1f)}}},
      {"adamw", "AdamUpdate", 0.01f, {{"weight_decay", attr_float(0.1f)}, {"decoupled_weight_decay", attr_bool(true)}}},
  };
  return all;
}

/// A parameter, its optimizer state and the op's reference kernel, created
/// once from the types shape inference gives, as the runtime does.
class Training {
 public:
  Training(const Config& config, const Tensor& param0)
      : config_(config), attrs_(attrs_with_defaults(config.op, config.attrs)), param_(param0.clone()) {
    adam_ = std::string(config.op) == "AdamUpdate";
    size_t state = adam_ ? 2 : std::string(config.op) == "MomentumUpdate" ? 1 : 0;
    for (size_t i = 0; i < state; ++i) state_.emplace_back(param_.type());  // zeros
    std::vector<TensorType> in = {param_.type(), param_.type()};
    for (const Tensor& s : state_) in.push_back(s.type());
    in.push_back({DType::f32, {}});
    if (adam_) in.push_back({DType::i64, {}});
    ops::InferContext ctx(attrs_, in, {});
    out_types_ = ops::OpRegistry::global().find(config.op)->infer(ctx);
    kernel_ = KernelRegistry::reference().create(KernelSpec{attrs_, in, out_types_});
  }

  /// Runs one update with `grad`: into fresh output tensors, or in place
  /// (the outputs are views of the param and state buffers).
  void step(const Tensor& grad, bool in_place) {
    Tensor learning_rate = scalar(config_.learning_rate);
    Tensor t = scalar<int64_t>(++steps_);
    std::vector<const Tensor*> in = {&param_, &grad};
    for (const Tensor& s : state_) in.push_back(&s);
    in.push_back(&learning_rate);
    if (adam_) in.push_back(&t);

    std::vector<Tensor> outputs;
    if (in_place) {
      outputs.push_back(Tensor::view(DType::f32, param_.shape(), param_.raw_data()));
      for (Tensor& s : state_) outputs.push_back(Tensor::view(DType::f32, s.shape(), s.raw_data()));
    } else {
      for (const TensorType& type : out_types_) outputs.emplace_back(type);
    }
    std::vector<Tensor*> out;
    for (Tensor& o : outputs) out.push_back(&o);
    kernel_->run(in, out);
    if (in_place) {
      REQUIRE(outputs[0].raw_data() == param_.raw_data());
      return;
    }
    REQUIRE(outputs[0].raw_data() != param_.raw_data());
    param_ = outputs[0];
    for (size_t i = 0; i < state_.size(); ++i) state_[i] = outputs[i + 1];
  }

  const Tensor& param() const { return param_; }
  const std::vector<Tensor>& state() const { return state_; }
  size_t num_outputs() const { return out_types_.size(); }

 private:
  const Config& config_;
  AttrMap attrs_;
  Tensor param_;
  std::vector<Tensor> state_;
  bool adam_ = false;
  int64_t steps_ = 0;
  std::vector<TensorType> out_types_;
  std::unique_ptr<Kernel> kernel_;
};

/// Checks every element of `got` is within the tolerance of `want`.
void check_close(const Tensor& got, const Tensor& want) {
  REQUIRE(got.type() == want.type());
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    double diff = std::abs(static_cast<double>(g[i]) - static_cast<double>(w[i]));
    INFO(fmt::format("element {}: got {:.9g}, PyTorch {:.9g}", i, g[i], w[i]));
    CHECK(diff <= kAtol + kRtol * std::abs(static_cast<double>(w[i])));
  }
}

AttrMap node(const std::string& op, Attrs attrs = {}) { return attrs_with_defaults(op, std::move(attrs)); }

/// Expects shape inference of `op` on `inputs` to fail naming node n1, with
/// a message containing `fragment`.
void require_infer_error(const std::string& op, const std::vector<TensorType>& inputs, const Attrs& attrs,
                         const std::string& fragment) {
  INFO(op << ": expecting an error containing \"" << fragment << "\"");
  require_node_error([&] { infer_types(op, inputs, attrs); }, fragment);
}

TensorType f32(Shape shape) { return {DType::f32, std::move(shape)}; }

}  // namespace

TEST_CASE("optimizer updates match torch.optim over three steps, in place or not", "[ops][optimizer]") {
  Tensor param0 = load("param0.npy");
  Tensor grads = load("grads.npy");
  REQUIRE(param0.shape() == Shape{5, 7});
  REQUIRE(grads.shape() == Shape{3, 5, 7});
  for (const Config& config : configs()) {
    INFO("config " << config.name << " (" << config.op << ")");
    Tensor expected = load(fmt::format("expected_{}.npy", config.name));
    REQUIRE(expected.shape() == grads.shape());
    Training out_of_place(config, param0);
    Training in_place(config, param0);
    CHECK(out_of_place.num_outputs() == 1 + out_of_place.state().size());
    for (int64_t step = 0; step < 3; ++step) {
      INFO("step " << step + 1);
      Tensor grad = row(grads, step);
      out_of_place.step(grad, false);
      in_place.step(grad, true);
      check_close(out_of_place.param(), row(expected, step));
      // Aliasing changes nothing: the same bits for the param and the state.
      CHECK(same_bits(in_place.param(), out_of_place.param()));
      for (size_t i = 0; i < in_place.state().size(); ++i) {
        CHECK(same_bits(in_place.state()[i], out_of_place.state()[i]));
      }
    }
  }
}

TEST_CASE("optimizer updates follow the documented formulas on hand-worked values", "[ops][optimizer]") {
  Tensor p = tensor<float>({2}, {1.0f, -2.0f});
  Tensor g = tensor<float>({2}, {0.5f, 0.25f});
  Tensor lr = scalar(0.5f);
  // g + wd·p = [0.5 + 0.5, 0.25 − 1]; p − lr·g.
  CHECK(values<float>(run1("SGDUpdate", {p, g, lr}, {{"weight_decay", attr_float(0.5f)}})) ==
        std::vector<float>{0.5f, -1.625f});

  Tensor v = tensor<float>({2}, {1.0f, 2.0f});
  // v' = 0.5·v + g = [1, 1.25]; nesterov d = g + 0.5·v' = [1, 0.875].
  auto momentum =
      run_op("MomentumUpdate", {p, g, v, lr}, {{"momentum", attr_float(0.5f)}, {"nesterov", attr_bool(true)}});
  CHECK(values<float>(momentum[1]) == std::vector<float>{1.0f, 1.25f});
  CHECK(values<float>(momentum[0]) == std::vector<float>{0.5f, -2.4375f});
  auto heavy_ball = run_op("MomentumUpdate", {p, g, v, lr}, {{"momentum", attr_float(0.5f)}});
  CHECK(values<float>(heavy_ball[0]) == std::vector<float>{0.5f, -2.625f});

  // Adam's first step from zero moments moves each element by lr·sign(g)
  // (up to epsilon): m' = (1−β1)g, v' = (1−β2)g², so m'/bc1 / sqrt(v'/bc2) = sign(g).
  Tensor zeros = tensor<float>({2}, {0.0f, 0.0f});
  Tensor g2 = tensor<float>({2}, {3.0f, -0.001f});
  auto adam =
      run_op("AdamUpdate", {p, g2, zeros, zeros, scalar(0.1f), scalar<int64_t>(1)}, {{"epsilon", attr_float(0.0f)}});
  REQUIRE(adam.size() == 3);
  CHECK(values<float>(adam[0])[0] == Approx(0.9f).epsilon(1e-6));
  CHECK(values<float>(adam[0])[1] == Approx(-1.9f).epsilon(1e-6));
  // 1 − β is taken of the f32 attribute: 1 − 0.999f = 0.000999987.
  CHECK(values<float>(adam[1])[0] == (1.0f - 0.9f) * 3.0f);
  CHECK(values<float>(adam[2])[0] == (1.0f - 0.999f) * 3.0f * 3.0f);
  // AdamW with a zero gradient only decays: p·(1 − lr·wd).
  auto adamw = run_op("AdamUpdate", {p, zeros, zeros, zeros, scalar(0.1f), scalar<int64_t>(3)},
                      {{"weight_decay", attr_float(0.5f)}, {"decoupled_weight_decay", attr_bool(true)}});
  CHECK(values<float>(adamw[0]) == std::vector<float>{0.95f, -1.9f});

  // A scalar param works like any other shape.
  CHECK(values<float>(run1("SGDUpdate", {scalar(2.0f), scalar(1.0f), scalar(0.5f)})) == std::vector<float>{1.5f});
}

TEST_CASE("optimizer update shape inference", "[ops][optimizer]") {
  Shape s{5, 7};
  TensorType lr = f32({});
  TensorType step{DType::i64, {}};
  CHECK(infer_types("SGDUpdate", {f32(s), f32(s), lr}) == std::vector<TensorType>{f32(s)});
  CHECK(infer_types("MomentumUpdate", {f32(s), f32(s), f32(s), lr}) == std::vector<TensorType>(2, f32(s)));
  CHECK(infer_types("AdamUpdate", {f32(s), f32(s), f32(s), f32(s), lr, step}) == std::vector<TensorType>(3, f32(s)));
  CHECK(infer_types("SGDUpdate", {f32({}), f32({}), lr}) == std::vector<TensorType>{f32({})});
  // Not differentiable; every output may be written in place of the input
  // it replaces (param, then the state inputs).
  using InPlace = std::vector<std::pair<int, int>>;
  const std::pair<const char*, InPlace> declared[] = {
      {"SGDUpdate", {{0, 0}}}, {"MomentumUpdate", {{0, 0}, {1, 2}}}, {"AdamUpdate", {{0, 0}, {1, 2}, {2, 3}}}};
  for (const auto& [op, in_place] : declared) {
    INFO(op);
    const ops::OpSchema* schema = ops::OpRegistry::global().find(op);
    REQUIRE(schema != nullptr);
    CHECK_FALSE(schema->gradient);
    CHECK(schema->in_place == in_place);
  }

  std::vector<TensorType> adam = {f32(s), f32(s), f32(s), f32(s), lr, step};
  auto adam_with = [&](size_t i, TensorType t) {
    std::vector<TensorType> inputs = adam;
    inputs[i] = std::move(t);
    return inputs;
  };
  require_infer_error("SGDUpdate", {f32(s), f32({7, 5}), lr}, {},
                      "input 1 (grad) has shape f32[7,5], expected the shape of param f32[5,7]");
  require_infer_error("SGDUpdate", {f32(s), f32(s), f32({1})}, {},
                      "input 2 (learning_rate) has shape f32[1], expected a scalar []");
  require_infer_error("SGDUpdate", {{DType::i32, s}, {DType::i32, s}, lr}, {},
                      "input 0 has dtype i32, expected one of f32");
  require_infer_error("MomentumUpdate", {f32(s), f32(s), f32({5}), lr}, {},
                      "input 2 (velocity) has shape f32[5], expected the shape of param f32[5,7]");
  require_infer_error("MomentumUpdate", {f32(s), f32(s), {DType::i32, s}, lr}, {},
                      "input 2 has dtype i32, expected f32 like input 0");
  require_infer_error("MomentumUpdate", {f32(s), f32(s), f32(s), {DType::i64, {}}}, {},
                      "input 3 has dtype i64, expected one of f32");
  require_infer_error("AdamUpdate", adam_with(3, f32({5, 1})), {}, "input 3 (v) has shape f32[5,1]");
  require_infer_error("AdamUpdate", adam_with(5, {DType::i32, {}}), {}, "input 5 has dtype i32, expected one of i64");
  require_infer_error("AdamUpdate", adam_with(5, {DType::i64, {1}}), {},
                      "input 5 (step) has shape i64[1], expected a scalar []");

  require_infer_error("SGDUpdate", {f32(s), f32(s), lr}, {{"weight_decay", attr_float(-1)}},
                      "attribute 'weight_decay' = -1 must be >= 0");
  require_infer_error("MomentumUpdate", {f32(s), f32(s), f32(s), lr},
                      {{"momentum", attr_float(0)}, {"nesterov", attr_bool(true)}},
                      "'nesterov' = true needs 'momentum' > 0");
  require_infer_error("AdamUpdate", adam, {{"beta2", attr_float(1)}}, "attribute 'beta2' = 1 must be in [0, 1)");
  require_infer_error("AdamUpdate", adam, {{"epsilon", attr_float(-1e-8f)}},
                      "attribute 'epsilon' = -1e-08 must be >= 0");
}

TEST_CASE("optimizer update kernels check their spec and the step", "[ops][optimizer]") {
  Shape s{3};
  Tensor x = tensor<float>(s, {1, 2, 3});
  // Adam's step counts updates from 1: step 0 (a counter not yet
  // incremented) is a run-time error naming the node.
  require_node_error([&] { run_op("AdamUpdate", {x, x, x, x, scalar(0.1f), scalar<int64_t>(0)}); },
                     "step = 0 must be >= 1");
  require_node_error([&] { run_op("AdamUpdate", {x, x, x, x, scalar(0.1f), scalar<int64_t>(-3)}); },
                     "step = -3 must be >= 1");

  // A module whose types disagree with the op fails when the kernel is created.
  AttrMap sgd = node("SGDUpdate");
  std::vector<TensorType> in = {f32(s), f32(s), f32({})};
  std::vector<TensorType> bad_out = {f32({4})};
  require_node_error([&] { KernelRegistry::reference().create(KernelSpec{sgd, in, bad_out}); }, "output 0");
  std::vector<TensorType> bad_lr = {f32(s), f32(s), f32({1})};
  std::vector<TensorType> out = {f32(s)};
  require_node_error([&] { KernelRegistry::reference().create(KernelSpec{sgd, bad_lr, out}); }, "learning_rate");
  AttrMap adam = node("AdamUpdate", {{"beta1", attr_float(1.5f)}});
  std::vector<TensorType> adam_in = {f32(s), f32(s), f32(s), f32(s), f32({}), {DType::i64, {}}};
  std::vector<TensorType> adam_out(3, f32(s));
  require_node_error([&] { KernelRegistry::reference().create(KernelSpec{adam, adam_in, adam_out}); },
                     "'beta1' must be in [0, 1)");
}

TEST_CASE("optimizer updates split across threads give the single-thread bits", "[ops][optimizer]") {
  // 7 values tiled 10000 times: the big update runs vectorised on all
  // threads (above kParallelElements), the small one on one thread; every
  // element must come out bit-identical to its small counterpart.
  constexpr int64_t kSmall = 7, kCopies = 10000;
  auto tiled = [&](int64_t copies, float phase) {
    Tensor t(DType::f32, {kSmall * copies});
    for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = std::sin(static_cast<float>(i % kSmall) + phase);
    return t;
  };
  for (const Config& config : configs()) {
    INFO(config.name);
    Training small(config, tiled(1, 0.5f)), big(config, tiled(kCopies, 0.5f));
    for (int step = 0; step < 3; ++step) {
      small.step(tiled(1, static_cast<float>(step)), false);
      big.step(tiled(kCopies, static_cast<float>(step)), true);
    }
    for (int64_t i = 0; i < big.param().num_elements(); ++i) {
      REQUIRE(std::memcmp(&big.param().data<float>()[i], &small.param().data<float>()[i % kSmall], 4) == 0);
      for (size_t s = 0; s < small.state().size(); ++s) {
        REQUIRE(std::memcmp(&big.state()[s].data<float>()[i], &small.state()[s].data<float>()[i % kSmall], 4) == 0);
      }
    }
  }
}
