// Reference kernel of the graph ops that are steps: Identity. (Placeholder,
// Const and Variable are buffers the module binds, not steps.)
#include "runtime/kernels/reference/data_movement.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {

void register_reference_graph_kernels(KernelRegistry& r) {
  r.add("Identity", [](const KernelSpec& spec) {
    expect_arity(spec, 1, 1, 1);
    expect_output_type(spec, 0, spec.inputs[0]);
    return make_copy_kernel();
  });
}

}  // namespace graphc
