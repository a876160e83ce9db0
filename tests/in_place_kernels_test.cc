// In-place kernels: every op that declares an output may be written over an
// input (OpSchema::may_overwrite) must compute, on every kernel that serves
// it (reference and oneDNN), the same bits in place as out of place. The
// memory planner relies on it (compiler/lower/memory_plan.cc).
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "compiler/ops/op_registry.h"
#include "graphc/error.h"
#include "runtime/core/kernel.h"

namespace graphc {
namespace {

/// The op's attributes, every one at its default (null when one is required).
std::unique_ptr<AttrMap> default_attrs(const ops::OpSchema& schema) {
  std::map<std::string, proto::AttrValue> values;
  for (const ops::AttrSpec& a : schema.attrs) {
    if (a.default_value) {
      values[a.name] = *a.default_value;
    } else if (!a.optional) {
      return nullptr;
    }
  }
  return std::make_unique<AttrMap>("n", schema.name, std::move(values));
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

/// Runs `kernel` out of place, then with output `output` written over input
/// `input`; the two results must be bit-identical.
void expect_in_place_matches(const Kernel& kernel, const std::vector<Tensor>& inputs, const TensorType& out_type,
                             int output, int input) {
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  Tensor separate(out_type);
  std::vector<Tensor*> out = {&separate};
  REQUIRE(output == 0);  // the ops that declare it have one output
  kernel.run(in, out);

  Tensor shared = inputs[input].clone();
  in[input] = &shared;
  out[0] = &shared;
  kernel.run(in, out);
  CHECK(same_bits(separate, shared));
}

}  // namespace

TEST_CASE("kernels of ops that may overwrite an input compute the same bits in place", "[memory][kernels]") {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> value(-2.f, 2.f);
  int checked = 0;
  const ops::OpRegistry& registry = ops::OpRegistry::global();
  for (const std::string& op : registry.names()) {
    const ops::OpSchema& schema = *registry.find(op);
    if (schema.may_overwrite.empty()) continue;
    std::unique_ptr<AttrMap> attrs = default_attrs(schema);
    REQUIRE(attrs != nullptr);
    // Every operand of the output's shape, then (broadcasting binary ops)
    // the second one broadcast.
    std::vector<std::vector<TensorType>> cases = {std::vector<TensorType>(schema.min_inputs, {DType::f32, {3, 37}})};
    if (schema.min_inputs == 2) cases.push_back({{DType::f32, {3, 37}}, {DType::f32, {37}}});
    for (const std::vector<TensorType>& types : cases) {
      std::vector<TensorType> outputs;
      try {
        outputs = schema.infer(ops::InferContext(*attrs, types, {}));
      } catch (const Error&) {
        REQUIRE(types != cases.front());  // only the broadcast case may not apply
        continue;
      }
      std::vector<Tensor> inputs;
      for (const TensorType& t : types) {
        Tensor x(t);
        for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = value(rng);
        inputs.push_back(std::move(x));
      }
      KernelSpec spec{*attrs, types, outputs};
      std::vector<std::unique_ptr<Kernel>> kernels;
      kernels.push_back(KernelRegistry::reference().create(spec));
      if (const KernelFactory* onednn = KernelRegistry::onednn().find(op)) {
        try {
          kernels.push_back((*onednn)(spec));
        } catch (const KernelUnavailable&) {
        }
      }
      for (auto [output, input] : schema.may_overwrite) {
        if (types[input] != outputs[output]) continue;  // lowering declares only pairs of one type
        for (size_t k = 0; k < kernels.size(); ++k) {
          INFO(op << " " << (k == 0 ? "reference" : "oneDNN") << " output " << output << " over input " << input
                  << " (" << types.size() << " inputs, last " << types.back().to_string() << ")");
          expect_in_place_matches(*kernels[k], inputs, outputs[output], output, input);
          ++checked;
        }
      }
    }
  }
  // The unary ops, Gelu, the binary ops (twice) and ReluGrad/GeluGrad, on
  // one or two kernels each.
  CHECK(checked >= 30);
}

}  // namespace graphc
