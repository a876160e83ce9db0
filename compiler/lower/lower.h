// Lowering: the optimised, placed IR becomes a Module, the runtime's input.
#pragma once

#include "compiler/ir/graph.h"
#include "graphc/device.h"
#include "proto/module.pb.h"

namespace graphc {

/// Builds the module of a typed graph (infer-shapes has run):
///  - every value numbered; Const and Variable nodes become constants
///    (Variables initialised per their initializer attr), Placeholders
///    bound inputs, every other node a step;
///  - steps listed by the place pass's predicted start time (a topological
///    order), each on its node's device ("cpu:K"; none means cpu:0);
///  - an input produced on another device is first copied by a Transfer
///    step on the consuming device (one per value and device);
///  - each step depends on the producers of its inputs, on the steps of its
///    control inputs and on the previous step of its device, which fixes the
///    order within a device;
///  - a step lists the op schema's in_place pairs whose output and input
///    have one type (Step.in_place);
///  - intermediate buffers get offsets in one arena per device (plan_memory),
///    an output taking over its input's buffer where Step.in_place and the
///    step DAG allow; signature inputs and outputs keep storage of their own;
///  - assignments become state updates: the value is written into its
///    Variable's storage by a node whose op declares that output in place of
///    the Variable input (an error names the Variable otherwise).
/// With `mutable_variables` (training modules and their inference entry
/// point; implied by assignments) the runtime keeps Variables as per-session
/// state instead of read-only constants.
proto::Module lower_to_module(const ir::Graph& graph, const DeviceSpec& devices, bool mutable_variables = false);

}  // namespace graphc
