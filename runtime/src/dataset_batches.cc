// The order of an epoch, and batches gathered in that order.
//
// An epoch's order must be the same on every machine, so that a training run
// can be reproduced and resumed from a checkpoint anywhere. std::shuffle and
// std::uniform_int_distribution leave their algorithms to the standard
// library, so neither is used: std::mt19937_64's output is fully specified,
// (seed, epoch) is mixed into its seed with SplitMix64, and the Fisher-Yates
// shuffle draws each index without modulo bias by rejecting the lowest
// 2^64 mod bound draws. O(N) time; the order is the only memory.
#include <fmt/format.h>

#include <cstring>
#include <numeric>
#include <random>
#include <utility>

#include "graphc/dataset.h"
#include "graphc/error.h"

namespace graphc {

namespace {

constexpr const char* kGatherWhere = "gather_batch";

/// SplitMix64's finaliser: nearby inputs give unrelated outputs.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

/// A uniform integer in [0, bound), bound > 0. The draws r >= 2^64 mod bound
/// number a multiple of bound, so r % bound is uniform over them.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace

std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle) {
  if (size < 0) throw Error("epoch_order", fmt::format("negative dataset size {}", size));
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!shuffle) return order;
  std::mt19937_64 rng(mix(seed ^ mix(static_cast<uint64_t>(epoch))));
  for (int64_t i = size - 1; i > 0; --i) {
    std::swap(order[i], order[uniform_below(rng, static_cast<uint64_t>(i) + 1)]);
  }
  return order;
}

void gather_batch(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t count,
                  Tensor& features, Tensor& labels) {
  const Shape& data_shape = data.features.shape();
  int64_t n = data.size();
  if (data.features.dtype() != DType::f32 || data.features.rank() < 1 || data_shape[0] != n ||
      data.labels.dtype() != DType::i32 || data.labels.rank() != 1) {
    throw Error(kGatherWhere, fmt::format("a dataset has features f32 [N, ...] and labels i32 [N], found {} and {}",
                                          data.features.type().to_string(), data.labels.type().to_string()));
  }
  int64_t order_size = static_cast<int64_t>(order.size());
  if (begin < 0 || count < 0 || begin > order_size || count > order_size - begin) {
    throw Error(kGatherWhere, fmt::format("{} examples from position {} are outside an order of {} examples", count,
                                          begin, order_size));
  }
  Shape example_shape(data_shape.begin() + 1, data_shape.end());
  int64_t example_size = num_elements(example_shape);
  if (features.dtype() != DType::f32 || features.num_elements() != count * example_size) {
    throw Error(kGatherWhere,
                fmt::format("features for {} examples of {} must be f32 with {} elements, found {}", count,
                            shape_to_string(example_shape), count * example_size, features.type().to_string()));
  }
  if ((labels.dtype() != DType::i32 && labels.dtype() != DType::i64) || labels.num_elements() != count) {
    throw Error(kGatherWhere, fmt::format("labels for {} examples must be i32 or i64 with {} elements, found {}", count,
                                          count, labels.type().to_string()));
  }

  const float* source = data.features.data<float>();
  const int32_t* source_labels = data.labels.data<int32_t>();
  float* out = features.data<float>();
  bool wide_labels = labels.dtype() == DType::i64;
  int32_t* out_labels = wide_labels ? nullptr : labels.data<int32_t>();
  int64_t* out_wide_labels = wide_labels ? labels.data<int64_t>() : nullptr;
  for (int64_t i = 0; i < count; ++i) {
    int64_t example = order[static_cast<size_t>(begin + i)];
    if (example < 0 || example >= n) {
      throw Error(kGatherWhere,
                  fmt::format("order[{}] = {} is outside the dataset of {} examples", begin + i, example, n));
    }
    if (example_size > 0) {
      std::memcpy(out + i * example_size, source + example * example_size, sizeof(float) * example_size);
    }
    if (wide_labels) {
      out_wide_labels[i] = source_labels[example];
    } else {
      out_labels[i] = source_labels[example];
    }
  }
}

}  // namespace graphc
