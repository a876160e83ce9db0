// graphc dot MODEL_OR_MODULE -o graph.dot|graph.svg [-O N] [--shape ...]
//
// Writes Graphviz text; for .svg it pipes the text through Graphviz's `dot`.
#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <iostream>

#include "compiler/compiler.h"
#include "compiler/ir/dot.h"
#include "graphc/error.h"
#include "runtime/core/file_io.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"

namespace graphc::cli {

namespace {

struct DotArgs {
  std::string path;
  std::string output;
  std::vector<std::string> shapes;
  int opt_level = 0;
};

/// Renders Graphviz text to SVG with the `dot` program.
std::string render_svg(const std::string& dot_text) {
  std::filesystem::path tmp = std::filesystem::temp_directory_path() / fmt::format("graphc-{}.dot", ::getpid());
  write_file_atomically(tmp, dot_text);
  std::string command = fmt::format("dot -Tsvg '{}' 2>&1", tmp.string());
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw Error("dot", "cannot start Graphviz's dot");
  std::string svg;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) svg.append(buffer, n);
  int status = ::pclose(pipe);
  std::filesystem::remove(tmp);
  if (status != 0 || svg.find("<svg") == std::string::npos) {
    throw Error("dot", fmt::format("Graphviz failed to render SVG (install it with apt-get install graphviz, or write "
                                   ".dot instead): {}",
                                   svg.substr(0, 200)));
  }
  return svg;
}

void run_dot(const DotArgs& args) {
  std::vector<std::string> notes;
  auto graph = load_typed_graph(args.path, parse_shapes(args.shapes), args.opt_level, notes);
  for (const auto& note : notes) std::cerr << "note: " << note << "\n";
  std::string text = ir::graph_to_dot(*graph);
  std::filesystem::path out(args.output);
  if (out.extension() == ".svg") {
    text = render_svg(text);
  } else if (out.extension() != ".dot" && out.extension() != ".gv") {
    throw Error("-o", fmt::format("'{}': expected a .dot, .gv or .svg file", args.output));
  }
  write_file_atomically(out, text);
  std::cout << fmt::format("wrote {} ({} nodes)\n", out.string(), graph->size());
}

}  // namespace

void add_dot_command(CLI::App& app) {
  auto args = std::make_shared<DotArgs>();
  CLI::App* cmd = app.add_subcommand("dot", "Draw a model or module as a Graphviz graph (.dot or .svg)");
  cmd->add_option("MODEL_OR_MODULE", args->path, "A model (.pbtxt/.pb) or a compiled module (.gcm)")->required();
  cmd->add_option("-o,--output", args->output, "Output file: graph.dot or graph.svg")->required();
  add_repeatable_option(*cmd, "--shape", args->shapes, "Fix a model input's shape, e.g. --shape x=1x784 (repeatable)");
  cmd->add_option("-O", args->opt_level, "For a model: draw the graph after this -O pipeline (default 0)")
      ->check(CLI::Range(0, 2));
  cmd->callback([args] { run_dot(*args); });
}

}  // namespace graphc::cli
