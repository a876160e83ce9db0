// Element conversions: one loop per (from, to) dtype pair, instantiated from
// a template. Each element is loaded as the exact value it holds (a float for
// f32/f16/bf16, an int64_t for the integers and bool) and stored with one
// rounding into the target type.
#include "runtime/kernels/reference/element_conversion.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "runtime/core/half.h"

namespace graphc {
namespace {

template <DType D>
struct Element;
template <> struct Element<DType::f32> { using Storage = float; };
template <> struct Element<DType::f16> { using Storage = uint16_t; };
template <> struct Element<DType::bf16> { using Storage = uint16_t; };
template <> struct Element<DType::i8> { using Storage = int8_t; };
template <> struct Element<DType::i32> { using Storage = int32_t; };
template <> struct Element<DType::i64> { using Storage = int64_t; };
template <> struct Element<DType::boolean> { using Storage = uint8_t; };  // 0 or 1

template <DType D>
using Storage = typename Element<D>::Storage;

/// The exact value an element holds.
template <DType D>
auto load(Storage<D> x) {
  if constexpr (D == DType::f32) return x;
  else if constexpr (D == DType::f16) return f16_to_float(x);
  else if constexpr (D == DType::bf16) return bf16_to_float(x);
  else if constexpr (D == DType::boolean) return int64_t{x != 0};
  else return int64_t{x};
}

/// A float truncated toward zero into an integer type; NaN gives 0 and
/// out-of-range values saturate.
template <class Int>
Int truncate_saturating(float x) {
  using limits = std::numeric_limits<Int>;
  if (std::isnan(x)) return 0;
  // float(max) is max rounded up to a power of two, so >= catches exactly
  // the values whose truncation exceeds max.
  if (x >= static_cast<float>(limits::max())) return limits::max();
  if (x <= static_cast<float>(limits::min())) return limits::min();
  return static_cast<Int>(x);
}

template <DType D>
Storage<D> store(float x) {
  if constexpr (D == DType::f32) return x;
  else if constexpr (D == DType::f16) return float_to_f16(x);
  else if constexpr (D == DType::bf16) return float_to_bf16(x);
  else if constexpr (D == DType::boolean) return x != 0.0f;
  else return truncate_saturating<Storage<D>>(x);
}

template <DType D>
Storage<D> store(int64_t x) {
  if constexpr (D == DType::f32) return static_cast<float>(x);
  else if constexpr (D == DType::f16) return int_to_f16(x);
  else if constexpr (D == DType::bf16) return int_to_bf16(x);
  else if constexpr (D == DType::boolean) return x != 0;
  else return static_cast<Storage<D>>(x);  // keeps the low bits (modular since C++20)
}

template <DType From, DType To>
void convert(const void* src, void* dst, int64_t count) {
  const auto* in = static_cast<const Storage<From>*>(src);
  auto* out = static_cast<Storage<To>*>(dst);
  for (int64_t i = 0; i < count; ++i) out[i] = store<To>(load<From>(in[i]));
}

/// Calls fn with std::integral_constant<DType, dtype>.
template <class Fn>
ElementConverter visit_dtype(DType dtype, Fn fn) {
  switch (dtype) {
    case DType::f32: return fn(std::integral_constant<DType, DType::f32>{});
    case DType::f16: return fn(std::integral_constant<DType, DType::f16>{});
    case DType::bf16: return fn(std::integral_constant<DType, DType::bf16>{});
    case DType::i8: return fn(std::integral_constant<DType, DType::i8>{});
    case DType::i32: return fn(std::integral_constant<DType, DType::i32>{});
    case DType::i64: return fn(std::integral_constant<DType, DType::i64>{});
    case DType::boolean: return fn(std::integral_constant<DType, DType::boolean>{});
  }
  return nullptr;
}

}  // namespace

ElementConverter element_converter(DType from, DType to) {
  return visit_dtype(from, [to](auto src) {
    return visit_dtype(to, [](auto dst) -> ElementConverter {
      return &convert<decltype(src)::value, decltype(dst)::value>;
    });
  });
}

}  // namespace graphc
