// Reading model files from disk: GraphDef text (.pbtxt) and binary (.pb).
#pragma once

#include <filesystem>

#include "proto/graph.pb.h"

namespace graphc {

/// Parses a GraphDef from `.pbtxt` (text format) or `.pb` (binary), chosen by
/// the extension. Syntax errors are graphc::Error at "file:line:col".
proto::GraphDef read_graphdef(const std::filesystem::path& path);

/// Writes a GraphDef atomically as text (.pbtxt) or binary (anything else).
void write_graphdef(const std::filesystem::path& path, const proto::GraphDef& graph);

}  // namespace graphc
