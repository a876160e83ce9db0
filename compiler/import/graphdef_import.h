// GraphDef (the user's format) <-> IR.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "compiler/ir/graph.h"
#include "proto/graph.pb.h"

namespace graphc {

/// Input shapes given by the user (`--shape x=1x784`), replacing the
/// Placeholder's declared shape.
using ShapeOverrides = std::map<std::string, Shape>;

/// Builds the IR of a GraphDef. Checks everything that does not need types:
/// every op is known, attributes are declared by the op's schema and of the
/// declared kind (defaults are filled in), inputs name existing nodes and
/// ports, names are unique, input counts match the schema, the signature
/// resolves. Errors name the node and op. `source` names the file in errors.
std::unique_ptr<ir::Graph> import_graphdef(const proto::GraphDef& graph, const std::string& source,
                                           const ShapeOverrides& shapes = {});

/// The GraphDef of an IR graph (in topological order), with its signature.
proto::GraphDef export_graphdef(const ir::Graph& graph);

}  // namespace graphc
