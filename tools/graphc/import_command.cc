// graphc import MODEL.onnx -o OUT.pb|OUT.pbtxt [--shape NAME=DIMS]
//
// Converts an ONNX model into a GraphDef (binary, or text for .pbtxt).
#include <fmt/format.h>

#include <iostream>

#include "compiler/import/graphdef_import.h"
#include "compiler/import/model_file.h"
#include "compiler/import/onnx_import.h"
#include "compiler/import/onnx_model.h"
#include "graphc/error.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"

namespace graphc::cli {

namespace {

struct ImportArgs {
  std::string model;
  std::string output;
  std::vector<std::string> shapes;
};

void run_import(const ImportArgs& args) {
  if (!is_onnx_path(args.model)) throw Error(args.model, "expected an ONNX model (.onnx)");
  OnnxImportOptions options;
  options.shapes = parse_shapes(args.shapes);
  auto graph = load_onnx(args.model, options);
  std::filesystem::path out = args.output.empty() ? std::filesystem::path(args.model).replace_extension(".pb")
                                                  : std::filesystem::path(args.output);
  write_graphdef(out, export_graphdef(*graph));
  std::cout << fmt::format("wrote {} ({} nodes, {} inputs, {} outputs)\n", out.string(), graph->size(),
                           graph->inputs().size(), graph->outputs().size());
}

}  // namespace

void add_import_command(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Convert an ONNX model (.onnx) into a GraphDef (.pb or .pbtxt)");
  cmd->add_option("MODEL", args->model, "The ONNX model")->required();
  cmd->add_option("-o,--output", args->output, "Output GraphDef: .pbtxt for text, else binary (default: MODEL.pb)");
  cmd->add_option("--shape", args->shapes, "Fix an input's shape, e.g. --shape x=1x3x224x224 (repeatable)");
  cmd->callback([args] { run_import(*args); });
}

}  // namespace graphc::cli
