// Devices: how a module's work is split over the machine's cores.
#pragma once

#include <string>
#include <string_view>

namespace graphc {

/// A set of identical CPU devices, each a group of cores with its own
/// worker thread, arena and OpenMP team. Spelled like the CLI's --devices:
///   "cpu:2"    two devices of one core each
///   "cpu:1x2"  one device of two cores
///   "cpu:2x4"  two devices of four cores each
///   "cpu"      one device with every core of the machine (the default)
struct DeviceSpec {
  int count = 1;
  int cores_per_device = 1;

  /// Throws graphc::Error naming the text on anything else.
  static DeviceSpec parse(std::string_view text);
  /// One device using all cores.
  static DeviceSpec whole_machine();
  std::string to_string() const;
  bool operator==(const DeviceSpec&) const = default;
};

}  // namespace graphc
