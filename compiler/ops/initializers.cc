// Variable initializers.
//
// Random values come from SplitMix64 used as a counter-based generator: the
// n-th 64-bit draw (n = 0, 1, ...) is mix(key + (n + 1) * golden), where mix
// is SplitMix64's output function and key = fnv1a(node name) ^ mix(seed).
// Element i of a uniform initializer uses draw i; a normal initializer turns
// draws 2j and 2j+1 into elements 2j and 2j+1 by Box-Muller in double. The
// values depend only on (seed, node name, shape), never on the platform's
// <random>, so the same graph gives the same bits everywhere.
#include "compiler/ops/initializers.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <string_view>

#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::ops {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

uint64_t splitmix64_mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

/// Uniform doubles in [0, 1) with 53 random bits, addressed by index.
class CounterRandom {
 public:
  CounterRandom(int64_t seed, std::string_view node)
      : key_(fnv1a(node) ^ splitmix64_mix(static_cast<uint64_t>(seed))) {}

  double uniform(uint64_t n) const {
    return static_cast<double>(splitmix64_mix(key_ + (n + 1) * kGolden) >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t key_;
};

struct Fans {
  double in;
  double out;
};

/// docs/ops.md: [] -> 1, 1; [n] -> n, n; [in, out] -> in, out;
/// [out, in, k...] -> in*K, out*K with K the product of the k dims.
Fans fans_of(const Shape& shape) {
  switch (shape.size()) {
    case 0: return {1, 1};
    case 1: return {double(shape[0]), double(shape[0])};
    case 2: return {double(shape[0]), double(shape[1])};
    default: {
      double receptive = 1;
      for (size_t i = 2; i < shape.size(); ++i) receptive *= double(shape[i]);
      return {double(shape[1]) * receptive, double(shape[0]) * receptive};
    }
  }
}

enum class Distribution { zeros, ones, constant, uniform, normal };

struct Initializer {
  std::string_view name;
  Distribution distribution;
  /// The half-width of a uniform distribution or the stddev of a normal one.
  double (*spread)(Fans fans, double scale);
};

constexpr auto kNoSpread = [](Fans, double) { return 0.0; };
constexpr auto kScale = [](Fans, double scale) { return scale; };

constexpr Initializer kInitializers[] = {
    {"zeros", Distribution::zeros, kNoSpread},
    {"ones", Distribution::ones, kNoSpread},
    {"constant", Distribution::constant, kNoSpread},
    {"uniform", Distribution::uniform, kScale},
    {"normal", Distribution::normal, kScale},
    {"glorot_uniform", Distribution::uniform, [](Fans f, double) { return std::sqrt(6.0 / (f.in + f.out)); }},
    {"glorot_normal", Distribution::normal, [](Fans f, double) { return std::sqrt(2.0 / (f.in + f.out)); }},
    {"he_uniform", Distribution::uniform, [](Fans f, double) { return std::sqrt(6.0 / f.in); }},
    {"he_normal", Distribution::normal, [](Fans f, double) { return std::sqrt(2.0 / f.in); }},
};

const Initializer* find_initializer(std::string_view name) {
  for (const Initializer& init : kInitializers) {
    if (init.name == name) return &init;
  }
  return nullptr;
}

bool is_random(Distribution d) { return d == Distribution::uniform || d == Distribution::normal; }

template <class T>
void fill(Tensor& t, double value) {
  T* out = t.data<T>();
  for (int64_t i = 0; i < t.num_elements(); ++i) out[i] = static_cast<T>(value);
}

void fill_value(Tensor& t, double value) {
  switch (t.dtype()) {
    case DType::f32: fill<float>(t, value); return;
    case DType::i32: fill<int32_t>(t, value); return;
    case DType::i64: fill<int64_t>(t, value); return;
    default: throw Error("", fmt::format("no initializer fills dtype {}", dtype_name(t.dtype())));
  }
}

void fill_uniform(float* out, int64_t count, const CounterRandom& random, double half_width) {
  for (int64_t i = 0; i < count; ++i) {
    out[i] = static_cast<float>(half_width * (2.0 * random.uniform(uint64_t(i)) - 1.0));
  }
}

void fill_normal(float* out, int64_t count, const CounterRandom& random, double stddev) {
  for (int64_t i = 0; i < count; i += 2) {
    double u1 = 1.0 - random.uniform(uint64_t(i));  // (0, 1]: log stays finite
    double u2 = random.uniform(uint64_t(i) + 1);
    double radius = stddev * std::sqrt(-2.0 * std::log(u1));
    double angle = 2.0 * std::numbers::pi * u2;
    out[i] = static_cast<float>(radius * std::cos(angle));
    if (i + 1 < count) out[i + 1] = static_cast<float>(radius * std::sin(angle));
  }
}

}  // namespace

TensorType variable_type(const AttrMap& attrs) {
  auto fail = [&](const std::string& message) { throw Error::at_node(attrs.node(), attrs.op(), message); };
  TensorType type{attrs.get_dtype("dtype"), attrs.get_shape("shape")};
  for (int64_t d : type.shape) {
    if (d < 0)
      fail(fmt::format("attribute 'shape' = {} must be fully known (no -1 dims)", shape_to_string(type.shape)));
  }
  const std::string& name = attrs.get_string("initializer");
  const Initializer* init = find_initializer(name);
  if (!init) {
    std::vector<std::string_view> names;
    for (const Initializer& i : kInitializers) names.push_back(i.name);
    fail(fmt::format("unknown initializer \"{}\" (expected one of {})", name, fmt::join(names, ", ")));
  }
  bool integer_ok = !is_random(init->distribution);
  if (type.dtype != DType::f32 && !(integer_ok && (type.dtype == DType::i32 || type.dtype == DType::i64))) {
    fail(fmt::format("initializer \"{}\" cannot fill dtype {} (expected f32{})", name, dtype_name(type.dtype),
                     integer_ok ? ", i32 or i64" : ""));
  }
  if (init->distribution == Distribution::constant && type.dtype != DType::f32) {
    double value = attrs.get_float("value");
    double limit = type.dtype == DType::i32 ? 0x1p31 : 0x1p63;
    if (!(value == std::trunc(value) && value >= -limit && value < limit)) {
      fail(fmt::format("attribute 'value' = {} is not an integer that dtype {} holds", value, dtype_name(type.dtype)));
    }
  }
  float scale = attrs.get_float("scale");
  if (!(scale >= 0)) fail(fmt::format("attribute 'scale' = {} must be >= 0", scale));
  if (attrs.has("initial_value")) {
    Tensor value = tensor_from_proto(attrs.get_tensor("initial_value"), fmt::format("node '{}' (Variable)", attrs.node()));
    if (value.type() != type) {
      fail(fmt::format("attribute 'initial_value' is {}, the Variable is {}", value.type().to_string(),
                       type.to_string()));
    }
  }
  return type;
}

Tensor initialize_variable(const AttrMap& attrs) {
  Tensor t(variable_type(attrs));
  if (attrs.has("initial_value")) return tensor_from_proto(attrs.get_tensor("initial_value"), attrs.node());
  const Initializer& init = *find_initializer(attrs.get_string("initializer"));
  CounterRandom random(attrs.get_int("seed"), attrs.node());
  double spread = init.spread(fans_of(t.shape()), attrs.get_float("scale"));
  switch (init.distribution) {
    case Distribution::zeros: break;  // storage starts zeroed
    case Distribution::ones: fill_value(t, 1.0); break;
    case Distribution::constant: fill_value(t, attrs.get_float("value")); break;
    case Distribution::uniform: fill_uniform(t.data<float>(), t.num_elements(), random, spread); break;
    case Distribution::normal: fill_normal(t.data<float>(), t.num_elements(), random, spread); break;
  }
  return t;
}

}  // namespace graphc::ops
