// Tensors: element types, static shapes and 64-byte aligned storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace graphc {

/// Element types. The numbering matches `graphc.proto.DataType`.
enum class DType : int { f32 = 1, f16 = 2, bf16 = 3, i8 = 4, i32 = 5, i64 = 6, boolean = 7 };

/// Bytes per element.
size_t dtype_size(DType dtype);
/// "f32", "i64", "bool", ...
std::string_view dtype_name(DType dtype);
/// Parses a dtype_name(); throws graphc::Error on anything else.
DType parse_dtype(std::string_view name);
/// True for a value the DType enum defines (for data read from files).
bool is_valid_dtype(int value);

using Shape = std::vector<int64_t>;

/// Product of the dims (1 for a scalar).
int64_t num_elements(const Shape& shape);
/// "[1,784]"; "[]" for a scalar.
std::string shape_to_string(const Shape& shape);

/// The static type of a value: element type and shape.
struct TensorType {
  DType dtype = DType::f32;
  Shape shape;

  bool operator==(const TensorType&) const = default;
  /// "f32[1,784]"
  std::string to_string() const;
};

/// A dense C-order tensor. Copies share storage (like a handle); `clone()`
/// copies data. Storage is 64-byte aligned and zero-initialised.
class Tensor {
 public:
  /// An empty f32 tensor, shape [0], with no storage.
  Tensor() = default;
  Tensor(DType dtype, Shape shape);
  explicit Tensor(const TensorType& type) : Tensor(type.dtype, type.shape) {}

  /// A tensor over memory the caller owns and keeps alive.
  static Tensor view(DType dtype, Shape shape, void* data);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  TensorType type() const { return {dtype_, shape_}; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t num_elements() const { return graphc::num_elements(shape_); }
  size_t byte_size() const { return static_cast<size_t>(num_elements()) * dtype_size(dtype_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }

  /// Typed access; throws graphc::Error when T does not match dtype().
  template <class T> T* data();
  template <class T> const T* data() const;

  /// A deep copy with its own storage.
  Tensor clone() const;

 private:
  void check_dtype(DType expected) const;

  DType dtype_ = DType::f32;
  Shape shape_ = {0};  // a default tensor is empty: its null data is never read
  std::shared_ptr<std::byte> storage_;
  std::byte* data_ = nullptr;
};

/// The DType of a C++ element type (float, int8_t, int32_t, int64_t, bool).
template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::i8; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }
template <> constexpr DType dtype_of<bool>() { return DType::boolean; }

template <class T> T* Tensor::data() {
  check_dtype(dtype_of<T>());
  return reinterpret_cast<T*>(data_);
}
template <class T> const T* Tensor::data() const {
  check_dtype(dtype_of<T>());
  return reinterpret_cast<const T*>(data_);
}

}  // namespace graphc
