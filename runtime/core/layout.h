// How a tensor's elements are ordered in memory.
//
// A tensor's shape is always its logical shape (NCHW for an image batch);
// its layout says how those dims are laid out. `plain` is C order, the only
// layout users, files and the reference kernels ever see. `channels_last`
// stores a tensor of rank >= 3 as [N, spatial..., C]: the layout oneDNN's
// fastest f32 convolutions read and write, so the assign-layout pass keeps
// activations in it between them (docs/architecture.md, "Layouts"). Both
// layouts hold the same bytes count: a layout is a permutation, never padding.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

enum class Layout : uint8_t { plain, channels_last };

/// "plain" or "channels_last".
std::string_view layout_name(Layout layout);

/// Whether `layout` can store a tensor of `shape` (channels_last needs rank >= 3).
bool layout_fits(Layout layout, const Shape& shape);

/// The strides (in elements) of `shape`'s logical dims when stored in
/// `layout`; layout_fits(layout, shape) must hold.
std::vector<int64_t> layout_strides(const Shape& shape, Layout layout);

/// Copies the tensor of `shape` with elements of `element_bytes` bytes from
/// `from` stored in `from_layout` to `to` stored in `to_layout`.
void convert_layout(const Shape& shape, size_t element_bytes, const void* from, Layout from_layout, void* to,
                    Layout to_layout);

}  // namespace graphc
