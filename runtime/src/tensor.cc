// Tensor storage, dtypes and shapes.
#include "graphc/tensor.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "graphc/error.h"

namespace graphc {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i8: return 1;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::boolean: return 1;
  }
  throw Error("", fmt::format("invalid dtype {}", static_cast<int>(dtype)));
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i8: return "i8";
    case DType::i32: return "i32";
    case DType::i64: return "i64";
    case DType::boolean: return "bool";
  }
  return "invalid";
}

bool is_valid_dtype(int value) {
  return value >= static_cast<int>(DType::f32) && value <= static_cast<int>(DType::boolean);
}

DType parse_dtype(std::string_view name) {
  for (int v = static_cast<int>(DType::f32); v <= static_cast<int>(DType::boolean); ++v) {
    if (dtype_name(static_cast<DType>(v)) == name) return static_cast<DType>(v);
  }
  throw Error("", fmt::format("unknown dtype '{}' (expected f32, f16, bf16, i8, i32, i64 or bool)", name));
}

int64_t num_elements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_to_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string TensorType::to_string() const {
  return fmt::format("{}{}", dtype_name(dtype), shape_to_string(shape));
}

namespace {
constexpr size_t kAlignment = 64;

std::shared_ptr<std::byte> allocate_aligned(size_t bytes) {
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw Error("", fmt::format("out of memory allocating {} bytes", bytes));
  std::memset(p, 0, rounded);
  return std::shared_ptr<std::byte>(static_cast<std::byte*>(p), [](std::byte* q) { std::free(q); });
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_) {
    if (d < 0) throw Error("", fmt::format("tensor shape {} has a negative dim", shape_to_string(shape_)));
  }
  storage_ = allocate_aligned(byte_size());
  data_ = storage_.get();
}

Tensor Tensor::view(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = static_cast<std::byte*>(data);
  return t;
}

Tensor Tensor::clone() const {
  Tensor copy(dtype_, shape_);
  if (byte_size() != 0) std::memcpy(copy.data_, data_, byte_size());
  return copy;
}

void Tensor::check_dtype(DType expected) const {
  if (expected != dtype_) {
    throw Error("", fmt::format("tensor of dtype {} accessed as {}", dtype_name(dtype_), dtype_name(expected)));
  }
}

}  // namespace graphc
