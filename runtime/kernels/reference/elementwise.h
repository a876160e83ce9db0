// Building blocks of elementwise reference kernels, shared by the op family
// files that define such ops: spec checks for unary and broadcasting binary
// ops, and a kernel mapping a function over every element.
#pragma once

#include <initializer_list>
#include <memory>

#include "runtime/core/kernel.h"

namespace graphc {

/// Checks a unary op's spec: one input with a dtype among `dtypes`, and one
/// output of the input's type.
void check_unary(const KernelSpec& spec, std::initializer_list<DType> dtypes);

/// Checks a binary op's spec: two inputs of one dtype among `dtypes` whose
/// shapes broadcast (NumPy rules) to the output's, which has that dtype.
void check_binary(const KernelSpec& spec, std::initializer_list<DType> dtypes);

/// y[i] = fn(x[i]) over elements of type T.
template <class T, class Fn>
std::unique_ptr<Kernel> map_kernel(Fn fn) {
  return make_kernel([fn](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* x = in[0]->data<T>();
    T* y = out[0]->data<T>();
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) y[i] = fn(x[i]);
  });
}

/// The factory of a unary f32 op computing fn(x).
template <class Fn>
KernelFactory float_unary(Fn fn) {
  return [fn](const KernelSpec& spec) {
    check_unary(spec, {DType::f32});
    return map_kernel<float>(fn);
  };
}

}  // namespace graphc
