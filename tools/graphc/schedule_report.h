// The parts of `graphc inspect` that describe a module's execution plan:
// --memory (arenas and how close they are to the liveness lower bound, and
// the kernels' scratch regions) and
// --placement (devices, transfers and the predicted critical path).
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "proto/module.pb.h"

namespace graphc::cli {

/// `scratch_bytes`: per device, the scratch region of a session of the
/// module as loaded here (Module::Impl::scratch_bytes): the module does not
/// hold it, since oneDNN chooses its implementations (and their scratchpads)
/// when the module is loaded on a given machine.
nlohmann::json memory_report(const proto::Module& module, const std::vector<int64_t>& scratch_bytes);
nlohmann::json placement_report(const proto::Module& module);

void print_memory_report(const nlohmann::json& report);
void print_placement_report(const nlohmann::json& report);

}  // namespace graphc::cli
