// Shared checks and shape functions for the op family files.
#include "compiler/ops/shape_fns.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/core/shape_rules.h"

namespace graphc::ops {

void expect_dtype_class(const InferContext& ctx, size_t i, DTypeClass allowed) {
  switch (allowed) {
    case DTypeClass::float_: ctx.expect_dtype(i, {DType::f32}); return;
    case DTypeClass::numeric: ctx.expect_dtype(i, {DType::f32, DType::i32, DType::i64}); return;
  }
}

void expect_same_dtype(const InferContext& ctx, size_t i, size_t like) {
  DType found = ctx.input(i).dtype;
  DType expected = ctx.input(like).dtype;
  if (found == expected) return;
  ctx.fail(fmt::format("input {} has dtype {}, expected {} like input {} ({})", i, dtype_name(found),
                       dtype_name(expected), like, ctx.input(like).to_string()));
}

void expect_min_rank(const InferContext& ctx, size_t i, const char* name, int64_t min_rank) {
  const TensorType& t = ctx.input(i);
  if (static_cast<int64_t>(t.shape.size()) >= min_rank) return;
  ctx.fail(fmt::format("input {} ({}) must have rank >= {}, found {}", i, name, min_rank, t.to_string()));
}

void expect_shape(const InferContext& ctx, size_t i, const char* name, const Shape& expected, const std::string& why) {
  const TensorType& t = ctx.input(i);
  if (t.shape == expected) return;
  ctx.fail(fmt::format("input {} ({}) has shape {}, expected {}", i, name, t.to_string(), why));
}

std::vector<int64_t> ints_at_least(const InferContext& ctx, const char* attr, size_t count, int64_t min_value) {
  std::vector<int64_t> values = ctx.attrs().get_ints(attr);
  if (values.size() != count) {
    ctx.fail(fmt::format("attribute '{}' = [{}] must have {} entries, found {}", attr, fmt::join(values, ","), count,
                         values.size()));
  }
  if (std::any_of(values.begin(), values.end(), [&](int64_t v) { return v < min_value; })) {
    ctx.fail(fmt::format("attribute '{}' = [{}] must hold values >= {}", attr, fmt::join(values, ","), min_value));
  }
  return values;
}

std::vector<int64_t> resolved_axes(const InferContext& ctx, const char* attr, AxesResolver resolve) {
  std::vector<int64_t> axes = ctx.attrs().get_ints(attr);
  auto rank = static_cast<int64_t>(ctx.input(0).shape.size());
  auto resolved = resolve(axes, rank);
  if (!resolved) {
    ctx.fail(fmt::format("attribute '{}' = [{}] must hold distinct axes in [{}, {}) for input {}", attr,
                         fmt::join(axes, ","), -rank, rank, ctx.input(0).to_string()));
  }
  return *resolved;
}

const std::string& one_of(const InferContext& ctx, const char* attr, std::initializer_list<const char*> allowed) {
  const std::string& value = ctx.attrs().get_string(attr);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    ctx.fail(fmt::format("attribute '{}' = \"{}\" must be one of \"{}\"", attr, value, fmt::join(allowed, "\", \"")));
  }
  return value;
}

ShapeFn same_as_input(size_t i) {
  return [i](const InferContext& ctx) { return std::vector<TensorType>{ctx.input(i)}; };
}

ShapeFn unary_elementwise(DTypeClass allowed) {
  return [allowed](const InferContext& ctx) {
    expect_dtype_class(ctx, 0, allowed);
    return std::vector<TensorType>{ctx.input(0)};
  };
}

ShapeFn broadcasting_binary(DTypeClass allowed) {
  return [allowed](const InferContext& ctx) {
    expect_dtype_class(ctx, 0, allowed);
    expect_same_dtype(ctx, 1, 0);
    const TensorType& a = ctx.input(0);
    const TensorType& b = ctx.input(1);
    auto shape = broadcast_shapes(a.shape, b.shape);
    if (!shape) ctx.fail(fmt::format("inputs a {} and b {} do not broadcast", a.to_string(), b.to_string()));
    return std::vector<TensorType>{{a.dtype, *shape}};
  };
}

}  // namespace graphc::ops
