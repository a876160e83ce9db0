// The geometry of Conv2D and the pooling ops in oneDNN's terms, shared by
// their forward kernels (nn_kernels.cc) and backward kernels
// (gradient_kernels.cc), which read the same attributes.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/core/kernel.h"

namespace graphc::onednn {

/// Conv2D's window. oneDNN counts dilation as the gaps between taps (ours
/// minus 1) and sees grouped weights [O, C/g, KH, KW] as [g, O/g, C/g, KH,
/// KW], the same memory.
struct ConvWindow {
  dnnl::memory::dims strides, dilations, pad_begin, pad_end;
  Shape weights;  // oneDNN's dims of w
};

/// The window of Conv2D over x [N, C, H, W] with w [O, C/groups, KH, KW],
/// from the attributes of Conv2D or of its backward ops. Throws
/// KernelUnavailable when w does not fit x and `groups`.
ConvWindow conv_window(const KernelSpec& spec, const Shape& x, const Shape& w);

/// A pooling op's window: its algorithm, and `ceil_mode` expressed as the
/// extra end padding that makes floor division give y's size. oneDNN max
/// pooling never lets padding win; average pooling excludes or includes
/// padding as asked.
struct PoolWindow {
  dnnl::algorithm algorithm;
  dnnl::memory::dims strides, kernel, pad_begin, pad_end;
};

/// The window of MaxPool (`max`) or AvgPool from x to y [N, C, OH, OW], from
/// the attributes of the op or of its backward op. Throws KernelUnavailable
/// for an include-padding average with ceil_mode, whose extra end padding
/// oneDNN would count.
PoolWindow pool_window(const KernelSpec& spec, const Shape& x, const Shape& y, bool max);

}  // namespace graphc::onednn
