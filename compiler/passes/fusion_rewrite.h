// replace_group: how the fusion passes swap a group of nodes for the one
// node that computes it, keeping every edge that ordered the group.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "proto/graph.pb.h"

namespace graphc::passes {

/// Adds node `op` (named after the group's last node, typed by its schema)
/// reading `inputs`, redirects every use of `outputs[i]` to its output i,
/// moves the control edges into and out of the group onto it, and erases
/// the group (`group` in topological order; no member may be assigned).
ir::Node* replace_group(ir::Graph& graph, const std::vector<ir::Node*>& group, const std::string& op,
                        const std::vector<ir::Value*>& inputs, std::map<std::string, proto::AttrValue> attrs,
                        const std::vector<ir::Value*>& outputs);

/// Whether fusing a node reading `input` into a group containing `member`
/// keeps the parallelism a multi-device schedule has: true when `input`'s
/// producer is a graph source (no inputs) or `member` already depends on
/// it, so the fused node waits for nothing the group did not wait for.
/// (Fusing across two independent branches would serialise them.)
bool keeps_branches_apart(const ir::Value* input, const ir::Node* member);

/// Whether `v` is assigned to a Variable (the optimizer's updates): its
/// producer must stay, writing into the Variable's storage.
bool is_assigned(const ir::Graph& graph, const ir::Value* v);
/// Whether `v` is a signature output, which a fused node must still produce.
bool is_signature_output(const ir::Graph& graph, const ir::Value* v);

/// "name (Op)", as fusion decisions list their members.
std::string describe_member(const ir::Node* n);

}  // namespace graphc::passes
