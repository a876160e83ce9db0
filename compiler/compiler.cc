// Compiler entry points.
#include "compiler/compiler.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <unordered_set>

#include "compiler/codegen/generated_kernels.h"
#include "compiler/import/model_file.h"
#include "compiler/import/onnx_import.h"
#include "compiler/import/onnx_model.h"
#include "compiler/lower/lower.h"
#include "compiler/ops/op_schema.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"
#include "runtime/core/checkpoint_file.h"
#include "runtime/core/deterministic_bytes.h"
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

namespace {

/// The fusion passes' decisions, for inspect --fusion.
void record_fusion(proto::Module& module, const std::vector<passes::FusionDecision>& decisions) {
  for (const auto& d : decisions) {
    proto::FusionDecision* out = module.add_fusion();
    out->set_pass(d.pass);
    out->set_node(d.node);
    for (const auto& m : d.members) out->add_ops(m);
    out->set_reason(d.reason);
  }
}

/// -O0 and -O1 run the reference kernels only (so comparing -O1 with -O2
/// isolates the kernels from the graph rewrites); at -O2 the runtime picks
/// an optimised kernel wherever one serves the step.
void choose_kernels(proto::Module& module, int opt_level) {
  if (opt_level < 2) return;
  for (auto& step : *module.mutable_steps()) step.set_kernel(proto::OPTIMISED_KERNEL);
}

/// The forward part of a training graph: the loss, the labels input and the
/// outputs that need the labels leave the signature (DCE drops the rest).
void keep_inference_signature(ir::Graph& graph, const std::string& loss, const std::string& labels) {
  const ir::Value* label_value = nullptr;
  auto& inputs = graph.inputs();
  for (auto it = inputs.begin(); it != inputs.end(); ++it) {
    if (it->name != labels) continue;
    label_value = it->value;
    inputs.erase(it);
    break;
  }
  auto needs_labels = [&](const ir::Value* v) {
    if (label_value == nullptr) return false;
    std::vector<const ir::Node*> work = {v->producer()};
    std::unordered_set<const ir::Node*> seen;
    while (!work.empty()) {
      const ir::Node* n = work.back();
      work.pop_back();
      if (n == label_value->producer()) return true;
      for (const ir::Value* in : n->inputs()) {
        if (seen.insert(in->producer()).second) work.push_back(in->producer());
      }
    }
    return false;
  };
  auto& outputs = graph.outputs();
  outputs.erase(std::remove_if(outputs.begin(), outputs.end(),
                               [&](const ir::SignatureValue& s) { return s.name == loss || needs_labels(s.value); }),
                outputs.end());
  if (outputs.empty()) {
    throw Error("inference entry point",
                fmt::format("the model has no output besides the loss '{}' that works without the labels input "
                            "'{}', so inference would compute nothing",
                            loss, labels));
  }
}

/// Sets every Variable's initial_value from the checkpoint's tensor of the
/// same name (shape inference then checks the types).
void use_checkpoint_weights(ir::Graph& graph, const std::filesystem::path& path) {
  proto::Checkpoint checkpoint = read_checkpoint_file(path);
  std::map<std::string, const proto::TensorProto*> tensors;
  for (const auto& t : checkpoint.tensors()) tensors[t.name()] = &t.data();
  std::vector<std::string> missing;
  for (ir::Node* n : graph.nodes()) {
    if (n->op() != "Variable") continue;
    auto it = tensors.find(n->name());
    if (it == tensors.end()) {
      missing.push_back(n->name());
      continue;
    }
    proto::AttrValue value;
    *value.mutable_tensor() = *it->second;
    n->attrs().set("initial_value", std::move(value));
  }
  if (!missing.empty()) {
    throw Error(path.string(), fmt::format("holds no weights for the Variable(s) {} of the model (is it a checkpoint "
                                           "of another model?)",
                                           fmt::join(missing, ", ")));
  }
}

/// keep_inference_signature, then the nodes only the loss needed go (even
/// at -O0, which has no dce, or the dropped labels input would still be read).
void drop_training_signature(ir::Graph& graph, const std::string& loss, const std::string& labels) {
  keep_inference_signature(graph, loss, labels);
  passes::PassContext no_context;
  passes::eliminate_dead_code(graph, no_context);
}

}  // namespace

proto::Module compile_graph(ir::Graph& graph, const CompileOptions& options, std::ostream& diag) {
  if (!options.weights.empty()) use_checkpoint_weights(graph, options.weights);
  if (options.seed != 0) {
    for (ir::Node* n : graph.nodes()) {
      if (n->op() != "Variable") continue;
      int64_t seed = n->attrs().has("seed") ? n->attrs().get_int("seed") : 0;
      n->attrs().set("seed", ops::attr_int(seed + options.seed));
    }
  }
  if (options.inference && !options.train) drop_training_signature(graph, options.pipeline.loss, options.labels);
  std::unique_ptr<ir::Graph> forward;
  if (options.train) forward = import_graphdef(export_graphdef(graph), "inference entry point");
  auto fusion = run_pipeline(graph, default_pipeline(options.opt_level, options.train), options.pipeline, diag);
  proto::Module module = lower_to_module(graph, options.pipeline.devices);
  record_fusion(module, fusion);
  choose_kernels(module, options.opt_level);
  if (forward != nullptr) {
    drop_training_signature(*forward, options.pipeline.loss, options.labels);
    PipelineOptions quiet = options.pipeline;
    quiet.print_after.clear();
    quiet.print_after_all = quiet.time_passes = false;
    auto forward_fusion = run_pipeline(*forward, default_pipeline(options.opt_level), quiet, diag);
    proto::Module& inference = *module.mutable_inference();
    inference = lower_to_module(*forward, options.pipeline.devices, /*mutable_variables=*/true);
    record_fusion(inference, forward_fusion);
    choose_kernels(inference, options.opt_level);
  }
  if (options.opt_level >= 2) codegen::generate_fused_kernels(module);
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
  // Types only: the module's graph is already placed (re-placing it on the
  // default devices would reject its cpu:K hints).
  std::ostringstream no_diag;
  run_pipeline(*graph, {{"verify", {"verify"}}, {"infer-shapes", {"infer-shapes"}}}, {}, no_diag);
  return graph;
}

void write_module(const std::filesystem::path& path, const proto::Module& module) {
  write_file_atomically(path, deterministic_bytes(module, path.string()));
}

proto::Module read_module(const std::filesystem::path& path) {
  proto::Module module;
  if (!module.ParseFromString(read_file(path))) throw Error(path.string(), "not a graphc module (.gcm): the file does not parse");
  return module;
}

}  // namespace graphc
