// The compiler's entry points: load a model, run the pipeline, lower it,
// write the module. The CLI and tests go through these.
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>

#include "compiler/import/graphdef_import.h"
#include "compiler/ir/graph.h"
#include "compiler/pipeline.h"
#include "proto/module.pb.h"

namespace graphc {

struct CompileOptions {
  int opt_level = 2;
  /// A training module: one step of pipeline.optimizer on the gradient of
  /// pipeline.loss (see default_pipeline), with an inference entry point
  /// sharing its Variables (proto::Module::inference): the model without
  /// the loss, without the `labels` input and the outputs that need it.
  bool train = false;
  std::string labels = "labels";
  /// Without `train`: compile only what inference needs, as for the
  /// inference entry point (drop pipeline.loss, the `labels` input and the
  /// outputs needing it), e.g. a trained model from --weights.
  bool inference = false;
  /// Added to every Variable's `seed` attribute: another seed, other
  /// initial weights (the same seed, bit-identical ones).
  int64_t seed = 0;
  /// A checkpoint (graphc train --checkpoint, Trainer::save_checkpoint)
  /// whose tensors become the initial values of the Variables of the same
  /// names; every Variable must have one.
  std::filesystem::path weights;
  ShapeOverrides shapes;
  PipelineOptions pipeline;
};

/// True for a compiled module file (.gcm), false for a model.
bool is_module_path(const std::filesystem::path& path);

/// Loads a model (.pbtxt or .pb GraphDef, or .onnx) into IR, unoptimised.
std::unique_ptr<ir::Graph> load_model(const std::filesystem::path& path, const ShapeOverrides& shapes = {});

/// Runs the default pipeline of `options.opt_level` on `graph` and lowers it
/// (for training, also its inference entry point, from a copy of `graph`).
/// IR dumps and timings requested by the options go to `diag`.
proto::Module compile_graph(ir::Graph& graph, const CompileOptions& options, std::ostream& diag);

/// load_model + compile_graph.
proto::Module compile_model(const std::filesystem::path& path, const CompileOptions& options, std::ostream& diag);

/// A typed graph to report on (inspect, dot): a model's graph after the
/// pipeline of `opt_level`, or a module's optimised graph. Unknown input dims
/// that `shapes` does not fix are shown as 1; each such input adds a line to
/// `notes` saying so.
std::unique_ptr<ir::Graph> load_typed_graph(const std::filesystem::path& path, const ShapeOverrides& shapes,
                                            int opt_level, std::vector<std::string>& notes);

/// Writes a module atomically (temp file, fsync, rename).
void write_module(const std::filesystem::path& path, const proto::Module& module);
/// Reads a module file's proto (for inspect and dot); graphc::Module::load
/// is the runtime's loader.
proto::Module read_module(const std::filesystem::path& path);

}  // namespace graphc
