// DeviceSpec parsing.
#include <fmt/format.h>

#include <charconv>
#include <thread>

#include "graphc/device.h"
#include "graphc/error.h"

namespace graphc {

namespace {

/// Devices or cores beyond this are a typo, not a machine.
constexpr int kMaxCount = 1024;

int parse_count(std::string_view digits, std::string_view text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || value < 1 || value > kMaxCount) {
    throw Error("--devices", fmt::format("'{}': '{}' is not a count from 1 to {} (expected cpu, cpu:N or cpu:NxC)",
                                         text, digits, kMaxCount));
  }
  return value;
}

}  // namespace

DeviceSpec DeviceSpec::whole_machine() {
  return {1, std::max(1, static_cast<int>(std::thread::hardware_concurrency()))};
}

DeviceSpec DeviceSpec::parse(std::string_view text) {
  if (text == "cpu") return whole_machine();
  if (text.substr(0, 4) != "cpu:") {
    throw Error("--devices", fmt::format("'{}' is not a device spec (expected cpu, cpu:N or cpu:NxC)", text));
  }
  std::string_view rest = text.substr(4);
  size_t x = rest.find('x');
  if (x == std::string_view::npos) return {parse_count(rest, text), 1};
  return {parse_count(rest.substr(0, x), text), parse_count(rest.substr(x + 1), text)};
}

std::string DeviceSpec::to_string() const {
  return cores_per_device == 1 ? fmt::format("cpu:{}", count) : fmt::format("cpu:{}x{}", count, cores_per_device);
}

}  // namespace graphc
