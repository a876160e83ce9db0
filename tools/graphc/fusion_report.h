// graphc inspect --fusion: every fused group of a module and its ops, and
// every candidate the fusion passes left alone, with the reason.
#pragma once

#include <nlohmann/json.hpp>

#include "proto/module.pb.h"

namespace graphc::cli {

nlohmann::json fusion_report(const proto::Module& module);
void print_fusion_report(const nlohmann::json& report);

}  // namespace graphc::cli
