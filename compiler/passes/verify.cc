// verify: the IR verifier as a pass (types are required once inferred).
#include "compiler/ir/verifier.h"
#include "compiler/passes/pass.h"

namespace graphc::passes {

bool verify(ir::Graph& graph, PassContext& ctx) {
  ir::verify_graph(graph, ctx.types_inferred);
  return false;
}

}  // namespace graphc::passes
