// Scratch memory of a session's steps: where each step's kernel keeps what a
// run needs besides its outputs (oneDNN scratchpads, reordered activations,
// a chain's intermediate buffers), in one scratch region per device.
//
// The rule is the memory plan's (memory_plan_check.h): two steps may use the
// same scratch bytes only if one happens before the other in every
// execution the executor may choose (StepDag). Which thread runs a step does
// not matter: a step on a device's queue runs on that device's worker, an
// `inline_ok` one may run on whichever thread finished its last dependency,
// another device's worker included, but no step starts before every step it
// depends on has finished, so two steps ordered by the DAG never overlap in
// time, whatever threads run them, and two steps not so ordered may.
//
// plan_scratch places each step's block first fit in its device's region,
// in listed (topological) order, clear of every earlier step of the device
// that may run at the same time. Lowering chains the steps of a device
// (each depends on the previous one), so every step of a device gets offset
// 0 and the region is its largest step's need; an unchained module (a
// hand-written one) still gets a safe plan. Cost: O(steps of a device ×
// concurrent earlier steps) per step. check_scratch_plan re-checks a plan.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/step_dag.h"

namespace graphc {

/// One step's scratch block.
struct StepScratch {
  int device = 0;
  int64_t bytes = 0;   // 0: the step needs none
  int64_t offset = 0;  // in its device's scratch region
};

/// Sets every step's offset (steps indexed as in `dag`, bytes rounded up to
/// 64) and returns the bytes of each of `devices` regions.
std::vector<int64_t> plan_scratch(std::vector<StepScratch>& steps, int devices, const StepDag& dag);

/// Throws graphc::Error naming both steps (through `step_names`) when two
/// steps that may run at the same time have overlapping blocks of one
/// region, or a block lies outside its region.
void check_scratch_plan(const std::vector<StepScratch>& steps, const std::vector<int64_t>& region_bytes,
                        const StepDag& dag, const std::vector<std::string>& step_names);

}  // namespace graphc
