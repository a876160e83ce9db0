// The table of passes: name, one-line summary, entry point.
#include "compiler/passes/pass.h"

namespace graphc::passes {

const std::vector<PassInfo>& all_passes() {
  static const std::vector<PassInfo> passes = {
      {"verify", "check the IR's structural invariants", verify},
      {"infer-shapes", "give every value a static type from the op schemas", infer_shapes},
      {"autodiff", "add the gradients of the loss with respect to the variables", autodiff},
      {"optimizer", "update every variable from its gradient in place (SGD, momentum, Adam, AdamW)", apply_optimizer},
      {"fold-constants", "evaluate nodes whose inputs are all constants", fold_constants},
      {"cse", "merge nodes with the same op, attributes and inputs", eliminate_common_subexpressions},
      {"dce", "remove nodes no signature output depends on", eliminate_dead_code},
      {"fold-batchnorm", "fold inference BatchNorm into the constant weights of the Conv2D/Dense before it",
       fold_batchnorm},
      {"fuse-epilogue", "fold bias adds, residual adds and an activation into the Conv2D/Dense/MatMul before them",
       fuse_epilogue},
      {"fuse-elementwise", "merge DAGs of elementwise ops over one shape into one generated loop", fuse_elementwise},
      {"assign-layout", "keep activations channels-last between convolutions, pooling and elementwise ops",
       assign_layout},
      {"place", "assign every node a device by earliest-finish-time list scheduling", place},
  };
  return passes;
}

const PassInfo* find_pass(std::string_view name) {
  for (const auto& p : all_passes()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace graphc::passes
