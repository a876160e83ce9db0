// Transfer: copies a value produced on one device to another device's arena.
// Steps of this op exist only in modules (lower_to_module inserts them at
// cross-device edges); CPU devices share memory, so the copy is a memcpy. A
// device with separate memory would provide its own transfer kernel.
#include <cstring>

#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {

void register_reference_transfer_kernel(KernelRegistry& r) {
  r.add("Transfer", [](const KernelSpec& spec) {
    expect_arity(spec, 1, 1, 1);
    expect_output_type(spec, 0, spec.inputs[0]);
    return make_kernel([](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
      std::memcpy(out[0]->raw_data(), in[0]->raw_data(), in[0]->byte_size());
    });
  });
}

}  // namespace graphc
