// add_typed_node: how passes that build new nodes (autodiff, optimizer) add
// one already typed, so what they build next can read its type.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "proto/graph.pb.h"

namespace graphc::passes {

/// Adds a node named `prefix` (made unique) with the schema's defaults for
/// the attributes not given, and infers its output types at once (a shape
/// error names the new node).
std::vector<ir::Value*> add_typed_node(ir::Graph& graph, const std::string& prefix, const std::string& op,
                                       const std::vector<ir::Value*>& inputs,
                                       std::map<std::string, proto::AttrValue> attrs, int num_outputs);

}  // namespace graphc::passes
