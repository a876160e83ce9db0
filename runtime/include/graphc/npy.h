// NumPy .npy files: the on-disk format for tensors.
#pragma once

#include <filesystem>

#include "graphc/tensor.h"

namespace graphc {

/// Reads a .npy file (format 1.0-3.0; little-endian f4, f2, i4, i8, i1, b1;
/// C order). Throws graphc::Error naming the file for anything else.
Tensor read_npy(const std::filesystem::path& path);

/// Writes a .npy file atomically: a crash never leaves a partial file.
/// bf16 tensors are written as f4 (NumPy has no bfloat16).
void write_npy(const std::filesystem::path& path, const Tensor& tensor);

}  // namespace graphc
