// End to end: the example models (examples/mlp.pbtxt, examples/cnn.pbtxt)
// compiled through the compiler API and run by a Session, against an
// independent computation written out plainly here: naive loops in double
// precision over the weights the compiler put in the module's constants.
// Also: compiling is deterministic, and a module written to disk and loaded
// back computes the same outputs.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "compiler/compiler.h"
#include "graphc/module.h"
#include "graphc/session.h"
#include "runtime/core/tensor_proto.h"

using namespace graphc;

namespace {

/// A C-order array of doubles: the independent computation's tensors.
struct Array {
  Shape shape;
  std::vector<double> data;
};

proto::Module compile_example(const std::string& name, const Shape& input_shape) {
  CompileOptions options;
  options.shapes["x"] = input_shape;
  std::ostringstream diag;
  return compile_model(std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples" / (name + ".pbtxt"), options, diag);
}

/// The module's constants (here: the Variables' initial values) by value name.
std::map<std::string, Array> constants_of(const proto::Module& module) {
  std::map<std::string, Array> constants;
  for (const auto& c : module.constants()) {
    const std::string& name = module.values(c.value()).name();
    Tensor t = tensor_from_proto(c.data(), name);
    REQUIRE(t.dtype() == DType::f32);
    const float* p = t.data<float>();
    constants[name] = {t.shape(), std::vector<double>(p, p + t.num_elements())};
  }
  return constants;
}

/// A deterministic input with values in [-1, 1].
Tensor make_input(const Shape& shape) {
  Tensor t(DType::f32, shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = static_cast<float>(std::sin(0.037 * static_cast<double>(i)));
  return t;
}

Array to_array(const Tensor& t) {
  const float* p = t.data<float>();
  return {t.shape(), std::vector<double>(p, p + t.num_elements())};
}

/// Runs `module` on input x and returns every output by name.
std::map<std::string, Tensor> run_module(std::shared_ptr<const Module> module, const Tensor& x) {
  Session session(module);
  session.set_input("x", x);
  session.run();
  std::map<std::string, Tensor> outputs;
  for (const auto& out : module->outputs()) outputs[out.name] = session.output(out.name).clone();
  return outputs;
}

// ----- the independent computation -----

/// y[n,m] = sum_k x[n,k] w[k,m] + b[m]; x is [N, K] (higher ranks flattened).
Array dense(const Array& x, const Array& w, const Array& b) {
  const int64_t K = w.shape[0], M = w.shape[1], N = static_cast<int64_t>(x.data.size()) / K;
  Array y{{N, M}, std::vector<double>(N * M)};
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      double sum = b.data[m];
      for (int64_t k = 0; k < K; ++k) sum += x.data[n * K + k] * w.data[k * M + m];
      y.data[n * M + m] = sum;
    }
  }
  return y;
}

Array relu(Array x) {
  for (double& v : x.data) v = std::max(v, 0.0);
  return x;
}

/// Softmax over the last dim.
Array softmax(Array x) {
  const int64_t M = x.shape.back(), rows = static_cast<int64_t>(x.data.size()) / M;
  for (int64_t r = 0; r < rows; ++r) {
    double* row = &x.data[r * M];
    double max = *std::max_element(row, row + M), sum = 0;
    for (int64_t m = 0; m < M; ++m) sum += std::exp(row[m] - max);
    for (int64_t m = 0; m < M; ++m) row[m] = std::exp(row[m] - max) / sum;
  }
  return x;
}

/// Cross-correlation of x [N,C,H,W] with w [O,C,KH,KW] plus b [O], stride 1,
/// `pad` zeros on every side.
Array conv2d(const Array& x, const Array& w, const Array& b, int64_t pad) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t O = w.shape[0], KH = w.shape[2], KW = w.shape[3];
  const int64_t OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;
  Array y{{N, O, OH, OW}, std::vector<double>(N * O * OH * OW)};
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t o = 0; o < O; ++o) {
      for (int64_t i = 0; i < OH; ++i) {
        for (int64_t j = 0; j < OW; ++j) {
          double sum = b.data[o];
          for (int64_t c = 0; c < C; ++c) {
            for (int64_t ki = 0; ki < KH; ++ki) {
              for (int64_t kj = 0; kj < KW; ++kj) {
                int64_t h = i + ki - pad, v = j + kj - pad;
                if (h < 0 || h >= H || v < 0 || v >= W) continue;
                sum += x.data[((n * C + c) * H + h) * W + v] * w.data[((o * C + c) * KH + ki) * KW + kj];
              }
            }
          }
          y.data[((n * O + o) * OH + i) * OW + j] = sum;
        }
      }
    }
  }
  return y;
}

/// 2x2 max pooling with stride 2, no padding.
Array max_pool_2x2(const Array& x) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], OH = H / 2, OW = W / 2;
  Array y{{N, C, OH, OW}, std::vector<double>(N * C * OH * OW)};
  for (int64_t nc = 0; nc < N * C; ++nc) {
    for (int64_t i = 0; i < OH; ++i) {
      for (int64_t j = 0; j < OW; ++j) {
        const double* p = &x.data[(nc * H + 2 * i) * W + 2 * j];
        y.data[(nc * OH + i) * OW + j] = std::max({p[0], p[1], p[W], p[W + 1]});
      }
    }
  }
  return y;
}

/// The expected outputs of examples/mlp.pbtxt.
std::map<std::string, Array> mlp_reference(const Array& x, const std::map<std::string, Array>& w) {
  Array h = relu(dense(x, w.at("w1"), w.at("b1")));
  h = relu(dense(h, w.at("w2"), w.at("b2")));
  Array logits = dense(h, w.at("w3"), w.at("b3"));
  return {{"logits", logits}, {"probs", softmax(logits)}};
}

/// The expected outputs of examples/cnn.pbtxt.
std::map<std::string, Array> cnn_reference(const Array& x, const std::map<std::string, Array>& w) {
  Array h = max_pool_2x2(relu(conv2d(x, w.at("conv1_w"), w.at("conv1_b"), 1)));
  h = max_pool_2x2(relu(conv2d(h, w.at("conv2_w"), w.at("conv2_b"), 1)));
  Array logits = dense(h, w.at("dense_w"), w.at("dense_b"));  // dense() flattens [N,32,7,7] to [N,1568]
  return {{"logits", logits}, {"probs", softmax(logits)}};
}

/// Every output agrees with the reference to a relative 1e-4 (with an
/// absolute floor of 1e-6 for values near zero).
void check_outputs(const std::map<std::string, Tensor>& got, const std::map<std::string, Array>& expected) {
  REQUIRE(got.size() == expected.size());
  for (const auto& [name, want] : expected) {
    INFO("output " << name);
    REQUIRE(got.count(name) == 1);
    Array have = to_array(got.at(name));
    REQUIRE(have.shape == want.shape);
    for (size_t i = 0; i < want.data.size(); ++i) {
      INFO("element " << i);
      CHECK(have.data[i] == Approx(want.data[i]).epsilon(1e-4).margin(1e-6));
    }
  }
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

}  // namespace

TEST_CASE("The MLP example computes what its weights say", "[e2e]") {
  proto::Module compiled = compile_example("mlp", {2, 784});
  std::map<std::string, Array> weights = constants_of(compiled);
  REQUIRE(weights.size() == 6);
  Tensor x = make_input({2, 784});
  check_outputs(run_module(Module::from_proto(compiled), x), mlp_reference(to_array(x), weights));
}

TEST_CASE("The CNN example computes what its weights say", "[e2e]") {
  proto::Module compiled = compile_example("cnn", {2, 1, 28, 28});
  std::map<std::string, Array> weights = constants_of(compiled);
  REQUIRE(weights.size() == 6);
  Tensor x = make_input({2, 1, 28, 28});
  check_outputs(run_module(Module::from_proto(compiled), x), cnn_reference(to_array(x), weights));
}

TEST_CASE("Compiling a model twice gives bit-identical constants", "[e2e]") {
  for (const auto& [name, shape] : {std::pair<std::string, Shape>{"mlp", {2, 784}}, {"cnn", {2, 1, 28, 28}}}) {
    INFO(name);
    proto::Module first = compile_example(name, shape);
    proto::Module second = compile_example(name, shape);
    REQUIRE(first.constants_size() == second.constants_size());
    for (int i = 0; i < first.constants_size(); ++i) {
      INFO("constant " << first.values(first.constants(i).value()).name());
      CHECK(first.constants(i).value() == second.constants(i).value());
      CHECK(same_bytes(tensor_from_proto(first.constants(i).data(), "first"),
                       tensor_from_proto(second.constants(i).data(), "second")));
    }
  }
}

TEST_CASE("A module written to disk and loaded back gives identical outputs", "[e2e]") {
  proto::Module compiled = compile_example("cnn", {2, 1, 28, 28});
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("graphc-e2e-" + std::to_string(::getpid()) + ".gcm");
  write_module(path, compiled);
  std::shared_ptr<const Module> loaded = Module::load(path);
  std::filesystem::remove(path);

  Tensor x = make_input({2, 1, 28, 28});
  std::map<std::string, Tensor> in_memory = run_module(Module::from_proto(compiled), x);
  std::map<std::string, Tensor> from_disk = run_module(loaded, x);
  REQUIRE(in_memory.size() == 2);
  for (const auto& [name, tensor] : in_memory) {
    INFO("output " << name);
    REQUIRE(from_disk.count(name) == 1);
    CHECK(same_bytes(tensor, from_disk.at(name)));
  }
}
