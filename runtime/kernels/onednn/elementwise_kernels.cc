// oneDNN kernels of the elementwise ops: unary math and activations through
// the eltwise primitive, and Add/Sub/Mul/Div through the binary primitive
// (with its broadcasting).
//
// Both are exact for what they claim: eltwise results differ from the
// reference's libm calls by a few ulp (tests use rtol 1e-5); Add, Sub, Mul
// and Div are IEEE operations, so they match bit for bit. Maximum and
// Minimum stay on the reference kernels: the documented NaN propagation is
// not what vector max/min instructions do. Integer dtypes (wrapping
// arithmetic, division by zero errors) stay there too.
#include <fmt/format.h>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc {
namespace {

using onednn::PrimitiveKernel;

/// y = op(x) over the elements, seen as one flat vector. `alpha` and `beta`
/// are the algorithm's parameters (oneDNN's eltwise documentation).
KernelFactory eltwise(dnnl::algorithm algorithm, float alpha = 0.0f, float beta = 0.0f) {
  return [=](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    onednn::expect_f32_nonempty(spec);
    if (spec.inputs.size() != 1 || spec.outputs.size() != 1 || spec.inputs[0] != spec.outputs[0]) {
      onednn::unavailable("expected one input and an output of its type");
    }
    dnnl::memory::desc data = onednn::plain_desc({num_elements(spec.inputs[0].shape)});
    using Desc = dnnl::eltwise_forward;
    auto pd = onednn::make_primitive_desc<Desc>("eltwise primitive", [&] {
      return Desc::desc(dnnl::prop_kind::forward_inference, algorithm, data, alpha, beta);
    });
    auto kernel = std::make_unique<PrimitiveKernel>(pd);
    kernel->bind_input(DNNL_ARG_SRC, 0, data);
    kernel->bind_output(DNNL_ARG_DST, 0, data);
    return kernel;
  };
}

std::unique_ptr<Kernel> make_gelu(const KernelSpec& spec) {
  const std::string& approximate = spec.attrs.get_string("approximate");
  if (approximate == "none") return eltwise(dnnl::algorithm::eltwise_gelu_erf)(spec);
  if (approximate == "tanh") return eltwise(dnnl::algorithm::eltwise_gelu_tanh)(spec);
  onednn::unavailable(fmt::format("approximate = \"{}\"", approximate));
}

/// `shape` with 1s prepended up to `rank` dims.
Shape right_aligned(const Shape& shape, size_t rank) {
  Shape out(rank - shape.size(), 1);
  out.insert(out.end(), shape.begin(), shape.end());
  return out;
}

/// y = a op b with NumPy broadcasting. oneDNN broadcasts only the second
/// operand, so a commutative op with a broadcast `a` swaps its operands.
KernelFactory binary(dnnl::algorithm algorithm, bool commutative) {
  return [=](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    onednn::expect_f32_nonempty(spec);
    if (spec.inputs.size() != 2 || spec.outputs.size() != 1) onednn::unavailable("expected two inputs and one output");
    const Shape& out = spec.outputs[0].shape;
    auto shape = broadcast_shapes(spec.inputs[0].shape, spec.inputs[1].shape);
    if (!shape || *shape != out) onednn::unavailable("the input shapes do not broadcast to the output's");
    size_t first = 0;
    if (spec.inputs[0].shape != out) {
      if (!commutative || spec.inputs[1].shape != out) {
        onednn::unavailable(fmt::format("oneDNN broadcasts only the second operand ({} {} {})",
                                        shape_to_string(spec.inputs[0].shape), spec.op(),
                                        shape_to_string(spec.inputs[1].shape)));
      }
      first = 1;
    }
    dnnl::memory::desc dst = onednn::plain_desc(out);
    dnnl::memory::desc src1 = onednn::plain_desc(right_aligned(spec.inputs[1 - first].shape, out.size()));
    auto pd = onednn::make_primitive_desc<dnnl::binary>("binary primitive",
                                                         [&] { return dnnl::binary::desc(algorithm, dst, src1, dst); });
    auto kernel = std::make_unique<PrimitiveKernel>(pd);
    kernel->bind_input(DNNL_ARG_SRC_0, first, dst);
    kernel->bind_input(DNNL_ARG_SRC_1, 1 - first, src1);
    kernel->bind_output(DNNL_ARG_DST, 0, dst);
    return kernel;
  };
}

}  // namespace

void register_onednn_elementwise_kernels(KernelRegistry& r) {
  using dnnl::algorithm;
  r.add("Add", binary(algorithm::binary_add, true));
  r.add("Sub", binary(algorithm::binary_sub, false));
  r.add("Mul", binary(algorithm::binary_mul, true));
  r.add("Div", binary(algorithm::binary_div, false));

  r.add("Neg", eltwise(algorithm::eltwise_linear, -1.0f, 0.0f));
  r.add("Exp", eltwise(algorithm::eltwise_exp));
  r.add("Log", eltwise(algorithm::eltwise_log));
  r.add("Sqrt", eltwise(algorithm::eltwise_sqrt));
  r.add("Rsqrt", eltwise(algorithm::eltwise_pow, 1.0f, -0.5f));
  r.add("Tanh", eltwise(algorithm::eltwise_tanh));
  r.add("Sigmoid", eltwise(algorithm::eltwise_logistic));
  r.add("Relu", eltwise(algorithm::eltwise_relu));
  r.add("Gelu", make_gelu);
}

}  // namespace graphc
