// The parts of `graphc inspect` that describe a module's execution plan:
// --memory (arenas and how close they are to the liveness lower bound) and
// --placement (devices, transfers and the predicted critical path).
#pragma once

#include <nlohmann/json.hpp>

#include "proto/module.pb.h"

namespace graphc::cli {

nlohmann::json memory_report(const proto::Module& module);
nlohmann::json placement_report(const proto::Module& module);

void print_memory_report(const nlohmann::json& report);
void print_placement_report(const nlohmann::json& report);

}  // namespace graphc::cli
