// summarize_tensor: statistics and the first and last few elements.
#include "tools/graphc/tensor_summary.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "runtime/core/half.h"

namespace graphc::cli {

namespace {

double element(const Tensor& t, int64_t i) {
  const void* p = t.raw_data();
  switch (t.dtype()) {
    case DType::f32: return static_cast<const float*>(p)[i];
    case DType::f16: return f16_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::bf16: return bf16_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::i8: return static_cast<const int8_t*>(p)[i];
    case DType::i32: return static_cast<const int32_t*>(p)[i];
    case DType::i64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::boolean: return static_cast<const bool*>(p)[i] ? 1.0 : 0.0;
  }
  return 0;
}

constexpr int64_t kShownAtEachEnd = 4;

}  // namespace

std::string summarize_tensor(const Tensor& t) {
  const int64_t n = t.num_elements();
  std::string out = t.type().to_string();
  if (n == 0) return out + " (empty)";
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t non_finite = 0;
  for (int64_t i = 0; i < n; ++i) {
    double x = element(t, i);
    if (!std::isfinite(x)) {
      ++non_finite;
      continue;
    }
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    sum += x;
  }
  if (non_finite < n) {
    out += fmt::format("  min {:.6g}  max {:.6g}  mean {:.6g}", lo, hi, sum / static_cast<double>(n - non_finite));
  }
  if (non_finite > 0) out += fmt::format("  non-finite {}", non_finite);
  out += "  |";
  for (int64_t i = 0; i < n; ++i) {
    if (n > 2 * kShownAtEachEnd && i == kShownAtEachEnd) {
      out += " ...";
      i = n - kShownAtEachEnd;
    }
    out += fmt::format(" {:.6g}", element(t, i));
  }
  return out;
}

}  // namespace graphc::cli
