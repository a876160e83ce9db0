// graphc_conformance: runs the ONNX backend test suite (libonnx-testdata)
// through graphc: for each test directory, import model.onnx, feed every
// test_data_set_*/input_*.pb, and compare the outputs with output_*.pb
// (|got - want| <= atol + rtol * |want|, rtol 1e-3, atol 1e-7; integers and
// bools exactly).
//
// Each test prints one line: PASS, FAIL (with the max error or the error
// message), SKIP unsupported (the op or feature) or SKIP not-applicable (the
// reason: dtypes graphc does not have, sequence/optional types, ...). The
// closing line is "N passed, N failed, N skipped".
//
//   graphc_conformance [--data DIR] [--filter TEXT] [DIR/test ...]
//   graphc_conformance --check passing.txt     exit 1 unless every listed test passes
//   graphc_conformance --write-lists DIR       rewrite DIR/passing.txt and DIR/not_applicable.txt
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "compiler/compiler.h"
#include "compiler/import/onnx_import.h"
#include "compiler/import/onnx_model.h"
#include "graphc/error.h"
#include "graphc/module.h"
#include "graphc/session.h"
#include "runtime/core/half.h"

namespace fs = std::filesystem;
using namespace graphc;

namespace {

/// The -O level modules are compiled at (-O2, what users run, by default).
int g_opt_level = 2;

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;
const char* const kSuites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};

enum class Outcome { pass, fail, unsupported, not_applicable };

struct Result {
  Outcome outcome;
  std::string detail;
};

/// Why a model cannot apply to graphc at all (non-tensor types, dtypes
/// graphc does not have), or empty.
std::string not_applicable_reason(const onnx::ModelProto& model) {
  std::set<std::string> reasons;
  auto check = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type()) {
      reasons.insert(v.type().has_sequence_type()   ? "sequence types"
                     : v.type().has_optional_type() ? "optional types"
                     : v.type().has_map_type()      ? "map types"
                                                    : "non-tensor types");
      return;
    }
    int32_t elem = v.type().tensor_type().elem_type();
    if (!dtype_from_onnx(elem)) reasons.insert("dtype " + onnx_dtype_name(elem));
  };
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  for (const auto& in : model.graph().input()) {
    if (!initializers.count(in.name())) check(in);
  }
  for (const auto& out : model.graph().output()) check(out);
  std::vector<std::string> list(reasons.begin(), reasons.end());
  return fmt::format("{}", fmt::join(list, ", "));
}

std::vector<fs::path> sorted_entries(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  }
  // input_10 after input_9: order by the number after the prefix.
  std::sort(out.begin(), out.end(), [&](const fs::path& a, const fs::path& b) {
    auto num = [&](const fs::path& p) {
      std::string s = p.stem().string().substr(prefix.size());
      return s.empty() ? 0 : std::atoi(s.c_str());
    };
    return num(a) < num(b);
  });
  return out;
}

double as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: return t.data<float>()[i];
    case DType::i32: return t.data<int32_t>()[i];
    case DType::i64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::i8: return t.data<int8_t>()[i];
    case DType::boolean: return t.data<bool>()[i];
    case DType::f16: return f16_to_float(static_cast<const uint16_t*>(t.raw_data())[i]);
    case DType::bf16: return bf16_to_float(static_cast<const uint16_t*>(t.raw_data())[i]);
  }
  return 0;
}

/// Empty when `got` matches `want`; else what differs.
std::string compare(const std::string& name, const Tensor& got, const Tensor& want) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    return fmt::format("output '{}' is {}, expected {}", name, got.type().to_string(), want.type().to_string());
  }
  bool exact = want.dtype() != DType::f32 && want.dtype() != DType::f16 && want.dtype() != DType::bf16;
  double worst = 0;
  int64_t worst_at = -1;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    double g = as_double(got, i), w = as_double(want, i);
    if (std::isnan(w) && std::isnan(g)) continue;
    if (g == w) continue;
    double err = std::fabs(g - w);
    double allowed = exact ? 0.0 : kAtol + kRtol * std::fabs(w);
    if (std::isnan(err) || err > allowed) {
      double excess = std::isnan(err) ? INFINITY : err;
      if (worst_at < 0 || excess > worst) {
        worst = excess;
        worst_at = i;
      }
    }
  }
  if (worst_at < 0) return {};
  return fmt::format("output '{}' max error {:.3g} at element {} (got {}, expected {})", name, worst, worst_at,
                     as_double(got, worst_at), as_double(want, worst_at));
}

bool is_unsupported_message(const std::string& m) {
  return m.find("unsupported ONNX op") != std::string::npos || m.find("not supported") != std::string::npos ||
         m.find("is not supported by the importer") != std::string::npos;
}

/// The model's data inputs (graph inputs that are not initializers), in order.
std::vector<std::string> data_inputs(const onnx::ModelProto& model) {
  std::set<std::string> initializers;
  for (const auto& init : model.graph().initializer()) initializers.insert(init.name());
  std::vector<std::string> out;
  for (const auto& in : model.graph().input()) {
    if (!initializers.count(in.name())) out.push_back(in.name());
  }
  return out;
}

Result run_data_set(const fs::path& model_path, const onnx::ModelProto& model, const fs::path& set_dir) {
  std::vector<std::string> names = data_inputs(model);
  std::map<std::string, Tensor> fed;
  auto inputs = sorted_entries(set_dir, "input_");
  if (inputs.size() > names.size()) {
    return {Outcome::fail, fmt::format("{} input files for {} model inputs", inputs.size(), names.size())};
  }
  // Fewer files than inputs: trailing optional inputs are omitted.
  for (size_t i = 0; i < inputs.size(); ++i) {
    fed[names[i]] = tensor_from_onnx(read_onnx_tensor_file(inputs[i]), inputs[i].string());
  }
  std::vector<Tensor> expected;
  for (const auto& p : sorted_entries(set_dir, "output_")) {
    expected.push_back(tensor_from_onnx(read_onnx_tensor_file(p), p.string()));
  }

  // First with every input a Placeholder; when the model needs an input's
  // value to know shapes (Reshape's shape, Slice's starts, ...), again with
  // the integer inputs bound as constants; failing that (Resize's scales,
  // say, are float inputs), with every input but the first bound.
  std::unique_ptr<ir::Graph> graph;
  OnnxImportOptions options;
  for (const auto& [name, t] : fed) options.shapes[name] = t.shape();
  std::shared_ptr<const Module> module;
  std::map<std::string, Tensor> placeholders = fed;
  for (int attempt = 0; attempt < 3 && !module; ++attempt) {
    try {
      graph = import_onnx(model, model_path, options);
      CompileOptions compile_options;
      compile_options.opt_level = g_opt_level;
      std::ostringstream diag;
      module = Module::from_proto(compile_graph(*graph, compile_options, diag));
    } catch (const Error& e) {
      if (attempt == 2 || e.message().find("unsupported ONNX op") != std::string::npos) throw;
      size_t bound = options.constant_inputs.size();
      for (size_t i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        auto it = fed.find(name);
        if (it == fed.end()) continue;
        bool integer = it->second.dtype() == DType::i64 || it->second.dtype() == DType::i32;
        if (attempt == 0 ? !integer : i == 0) continue;
        options.constant_inputs[name] = it->second;
        options.shapes.erase(name);
        placeholders.erase(name);
      }
      if (options.constant_inputs.size() == bound && attempt == 1) throw;
    }
  }
  Session session(module);
  for (const auto& [name, t] : placeholders) session.set_input(name, t);
  session.run();
  const auto& outputs = module->outputs();
  if (outputs.size() < expected.size()) {
    return {Outcome::fail, fmt::format("{} outputs, expected {}", outputs.size(), expected.size())};
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    std::string diff = compare(outputs[i].name, session.output(outputs[i].name), expected[i]);
    if (!diff.empty()) return {Outcome::fail, diff};
  }
  return {Outcome::pass, {}};
}

Result run_test(const fs::path& dir) {
  fs::path model_path = dir / "model.onnx";
  try {
    onnx::ModelProto model = read_onnx_model(model_path);
    std::string reason = not_applicable_reason(model);
    if (!reason.empty()) return {Outcome::not_applicable, reason};
    auto sets = sorted_entries(dir, "test_data_set_");
    if (sets.empty()) return {Outcome::not_applicable, "no test data sets"};
    for (const auto& set : sets) {
      Result r = run_data_set(model_path, model, set);
      if (r.outcome != Outcome::pass) return r;
    }
    return {Outcome::pass, {}};
  } catch (const Error& e) {
    std::string m = e.what();
    if (is_unsupported_message(m)) return {Outcome::unsupported, m};
    return {Outcome::fail, m};
  } catch (const std::exception& e) {
    return {Outcome::fail, fmt::format("exception: {}", e.what())};
  }
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > 300) s = s.substr(0, 300) + "...";
  return s;
}

std::vector<std::string> read_list(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string(), "cannot read the test list");
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path data = "/usr/share/libonnx-testdata/data";
  std::string filter;
  std::optional<fs::path> check_list, write_dir;
  std::vector<std::string> tests;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "error: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data") {
      data = value();
    } else if (arg == "-O0" || arg == "-O1" || arg == "-O2") {
      g_opt_level = arg[2] - '0';
    } else if (arg == "--filter") {
      filter = value();
    } else if (arg == "--check") {
      check_list = value();
    } else if (arg == "--write-lists") {
      write_dir = value();
    } else if (arg == "--help" || arg == "-h") {
      std::cout << "usage: graphc_conformance [-O0|-O1|-O2] [--data DIR] [--filter TEXT] [--check passing.txt] "
                   "[--write-lists DIR] [SUITE/TEST ...]\n";
      return 0;
    } else {
      tests.push_back(arg);
    }
  }
  if (!fs::is_directory(data)) {
    std::cerr << "error: " << data.string() << ": no ONNX test data (install libonnx-testdata)\n";
    return 1;
  }
  try {
    if (check_list) {
      tests = read_list(*check_list);
    } else if (tests.empty()) {
      for (const char* suite : kSuites) {
        std::vector<std::string> names;
        if (!fs::is_directory(data / suite)) continue;
        for (const auto& e : fs::directory_iterator(data / suite)) {
          if (fs::exists(e.path() / "model.onnx")) names.push_back(fmt::format("{}/{}", suite, e.path().filename().string()));
        }
        std::sort(names.begin(), names.end());
        tests.insert(tests.end(), names.begin(), names.end());
      }
    }
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }

  std::map<std::string, std::array<int, 3>> per_suite;  // passed, failed, skipped
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> pass_list;
  std::vector<std::pair<std::string, std::string>> na_list;
  auto start = std::chrono::steady_clock::now();
  for (const auto& test : tests) {
    if (!filter.empty() && test.find(filter) == std::string::npos) continue;
    Result r = run_test(data / test);
    std::string suite = test.substr(0, test.find('/'));
    auto& counts = per_suite[suite];
    switch (r.outcome) {
      case Outcome::pass:
        ++passed, ++counts[0];
        pass_list.push_back(test);
        std::cout << "PASS " << test << "\n";
        break;
      case Outcome::fail:
        ++failed, ++counts[1];
        std::cout << "FAIL " << test << ": " << one_line(r.detail) << "\n";
        break;
      case Outcome::unsupported:
        ++skipped, ++counts[2];
        std::cout << "SKIP " << test << " unsupported: " << one_line(r.detail) << "\n";
        break;
      case Outcome::not_applicable:
        ++skipped, ++counts[2];
        na_list.emplace_back(test, r.detail);
        std::cout << "SKIP " << test << " not-applicable: " << r.detail << "\n";
        break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& [suite, c] : per_suite) {
    std::cout << fmt::format("{}: {} passed, {} failed, {} skipped\n", suite, c[0], c[1], c[2]);
  }
  if (write_dir) {
    std::ofstream p(*write_dir / "passing.txt");
    p << "# ONNX backend tests (libonnx-testdata) graphc passes; `graphc_conformance --check` keeps them passing.\n"
         "# Regenerate with: graphc_conformance --write-lists tests/conformance\n";
    for (const auto& t : pass_list) p << t << "\n";
    std::ofstream na(*write_dir / "not_applicable.txt");
    na << "# ONNX backend tests that cannot apply to graphc, with the reason (written by graphc_conformance "
          "--write-lists).\n";
    for (const auto& [t, why] : na_list) na << t << "  # " << why << "\n";
  }
  std::cout << fmt::format("({:.1f} s)\n", seconds);
  std::cout << fmt::format("{} passed, {} failed, {} skipped\n", passed, failed, skipped);
  if (check_list) return failed + skipped == 0 ? 0 : 1;
  return 0;
}
