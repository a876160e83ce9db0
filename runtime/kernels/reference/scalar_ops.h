// The binary scalar operations of the elementwise ops and reductions, as
// function objects over float, double, int32_t and int64_t.
//
// Integer semantics are defined where C++ leaves them undefined: +, -, * and
// negation wrap around on overflow (two's complement), and INT_MIN / -1 wraps
// to INT_MIN. Integer division by zero must be caught by the caller, which
// knows the node to name. Maximum and Minimum propagate NaN, like NumPy.
#pragma once

#include <cmath>
#include <functional>
#include <type_traits>

namespace graphc::scalar {

/// Op applied to integers through their unsigned type, where overflow wraps.
template <class Op>
struct Wrapping {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(Op{}(static_cast<U>(a), static_cast<U>(b)));
    } else {
      return Op{}(a, b);
    }
  }
};

using Add = Wrapping<std::plus<>>;
using Sub = Wrapping<std::minus<>>;
using Mul = Wrapping<std::multiplies<>>;

/// Integer division truncates toward zero; the divisor must not be 0.
struct Div {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if (b == -1) return Sub{}(T{0}, a);  // a / -1 overflows for INT_MIN
    }
    return a / b;
  }
};

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(x);
  } else {
    return false;
  }
}

struct Maximum {
  template <class T>
  T operator()(T a, T b) const {
    return a > b || is_nan(a) ? a : b;
  }
};

struct Minimum {
  template <class T>
  T operator()(T a, T b) const {
    return a < b || is_nan(a) ? a : b;
  }
};

struct Pow {
  float operator()(float a, float b) const { return std::pow(a, b); }
};

}  // namespace graphc::scalar
