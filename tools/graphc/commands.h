// The graphc subcommands. Each file registers one subcommand on the app; its
// callback does the work through the compiler and runtime libraries and
// throws graphc::Error on failure (main prints it and exits 1).
#pragma once

#include <CLI/CLI.hpp>

namespace graphc::cli {

void add_compile_command(CLI::App& app);  // compile_command.cc
void add_run_command(CLI::App& app);      // run_command.cc
void add_inspect_command(CLI::App& app);  // inspect_command.cc
void add_dot_command(CLI::App& app);      // dot_command.cc
void add_bench_command(CLI::App& app);    // bench_command.cc
void add_import_command(CLI::App& app);   // import_command.cc
void add_train_command(CLI::App& app);    // train_command.cc

}  // namespace graphc::cli
