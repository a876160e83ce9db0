// Compiler entry points.
#include "compiler/compiler.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <sstream>

#include "compiler/import/model_file.h"
#include "compiler/import/onnx_import.h"
#include "compiler/import/onnx_model.h"
#include "compiler/lower/lower.h"
#include "compiler/ops/op_schema.h"
#include "graphc/error.h"
#include "runtime/core/file_io.h"

namespace graphc {

bool is_module_path(const std::filesystem::path& path) { return path.extension() == ".gcm"; }

std::unique_ptr<ir::Graph> load_model(const std::filesystem::path& path, const ShapeOverrides& shapes) {
  if (is_module_path(path)) {
    throw Error(path.string(), "is a compiled module; expected a model (.pbtxt, .pb or .onnx)");
  }
  if (is_onnx_path(path)) return load_onnx(path, OnnxImportOptions{shapes, {}});
  return import_graphdef(read_graphdef(path), path.string(), shapes);
}

proto::Module compile_graph(ir::Graph& graph, const CompileOptions& options, std::ostream& diag) {
  run_pipeline(graph, default_pipeline(options.opt_level, options.train), options.pipeline, diag);
  proto::Module module = lower_to_module(graph, options.pipeline.devices);
  // -O0 and -O1 run the reference kernels only (so comparing -O1 with -O2
  // isolates the kernels from the graph rewrites); at -O2 the runtime picks
  // an optimised kernel wherever one serves the step.
  if (options.opt_level >= 2) {
    for (auto& step : *module.mutable_steps()) step.set_kernel(proto::OPTIMISED_KERNEL);
  }
  return module;
}

proto::Module compile_model(const std::filesystem::path& path, const CompileOptions& options, std::ostream& diag) {
  auto graph = load_model(path, options.shapes);
  return compile_graph(*graph, options, diag);
}

std::unique_ptr<ir::Graph> load_typed_graph(const std::filesystem::path& path, const ShapeOverrides& shapes,
                                            int opt_level, std::vector<std::string>& notes) {
  if (!is_module_path(path)) {
    auto graph = load_model(path, shapes);
    for (ir::Node* n : graph->nodes()) {
      if (n->op() != "Placeholder") continue;
      Shape shape = n->attrs().get_shape("shape");
      if (std::find(shape.begin(), shape.end(), -1) == shape.end()) continue;
      Shape shown = shape;
      std::replace(shown.begin(), shown.end(), int64_t{-1}, int64_t{1});
      notes.push_back(fmt::format("input '{}' has unknown dims {}; shown as {} (fix them with --shape {}=...)",
                                  n->name(), shape_to_string(shape), shape_to_string(shown), n->name()));
      n->attrs().set("shape", ops::attr_shape(shown));
    }
    std::ostringstream no_diag;
    run_pipeline(*graph, default_pipeline(opt_level), {}, no_diag);
    return graph;
  }
  if (!shapes.empty()) throw Error(path.string(), "--shape applies to models; a compiled module has fixed shapes");
  auto graph = import_graphdef(read_module(path).graph(), path.string());
  std::ostringstream no_diag;
  run_pipeline(*graph, default_pipeline(0), {}, no_diag);
  return graph;
}

void write_module(const std::filesystem::path& path, const proto::Module& module) {
  // Deterministic serialisation writes map entries (attributes) sorted by
  // key, so the same model always gives the same module bytes.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!module.SerializeToCodedStream(&coded)) throw Error(path.string(), "cannot serialise the module");
  }
  write_file_atomically(path, bytes);
}

proto::Module read_module(const std::filesystem::path& path) {
  proto::Module module;
  if (!module.ParseFromString(read_file(path))) throw Error(path.string(), "not a graphc module (.gcm): the file does not parse");
  return module;
}

}  // namespace graphc
