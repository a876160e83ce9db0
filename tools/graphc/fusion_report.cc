// fusion_report, print_fusion_report (see fusion_report.h).
#include "tools/graphc/fusion_report.h"

#include <fmt/format.h>

#include <iostream>

namespace graphc::cli {

nlohmann::json fusion_report(const proto::Module& module) {
  nlohmann::json groups = nlohmann::json::array(), not_fused = nlohmann::json::array();
  for (const auto& d : module.fusion()) {
    std::vector<std::string> ops(d.ops().begin(), d.ops().end());
    if (d.reason().empty()) {
      groups.push_back({{"pass", d.pass()}, {"node", d.node()}, {"ops", ops}});
    } else {
      not_fused.push_back({{"pass", d.pass()}, {"node", d.node()}, {"reason", d.reason()}});
    }
  }
  nlohmann::json report = {{"groups", groups}, {"not_fused", not_fused}};
  if (module.has_jit()) {
    report["generated_code"] = {{"cpu", module.jit().cpu()},
                                {"functions", module.jit().symbols_size()},
                                {"object_bytes", module.jit().object().size()}};
  }
  return report;
}

void print_fusion_report(const nlohmann::json& report) {
  std::cout << fmt::format("\nfusion: {} groups\n", report["groups"].size());
  for (const auto& g : report["groups"]) {
    std::cout << fmt::format("  {} [{}]\n", g["node"].get<std::string>(), g["pass"].get<std::string>());
    for (const auto& op : g["ops"]) std::cout << fmt::format("    {}\n", op.get<std::string>());
  }
  if (!report["not_fused"].empty()) std::cout << "not fused:\n";
  for (const auto& n : report["not_fused"]) {
    std::cout << fmt::format("  {} [{}]: {}\n", n["node"].get<std::string>(), n["pass"].get<std::string>(),
                             n["reason"].get<std::string>());
  }
  if (report.contains("generated_code")) {
    const auto& code = report["generated_code"];
    std::cout << fmt::format("generated code: {} functions, {} bytes of machine code for {}\n",
                             code["functions"].get<int>(), code["object_bytes"].get<size_t>(),
                             code["cpu"].get<std::string>());
  }
}

}  // namespace graphc::cli
