// graphc: the command-line driver. Parses arguments, runs one subcommand and
// turns a graphc::Error into "error: WHERE: MESSAGE" and exit code 1.
#include <fmt/format.h>

#include <iostream>

#include "graphc/error.h"
#include "tools/graphc/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"graphc: a dataflow graph compiler and runtime for deep learning on CPUs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "graphc 0.1.0");
  graphc::cli::add_compile_command(app);
  graphc::cli::add_train_command(app);
  graphc::cli::add_run_command(app);
  graphc::cli::add_inspect_command(app);
  graphc::cli::add_dot_command(app);
  graphc::cli::add_bench_command(app);
  graphc::cli::add_import_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2, like most Unix tools; --help and --version exit 0.
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const graphc::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
