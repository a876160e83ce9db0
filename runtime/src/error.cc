// graphc::Error: location + message.
#include "graphc/error.h"

#include <fmt/format.h>

namespace graphc {

Error::Error(std::string where, std::string message)
    : std::runtime_error(where.empty() ? message : where + ": " + message),
      where_(std::move(where)),
      message_(std::move(message)) {}

Error Error::at_file(const std::string& path, int line, int col, const std::string& message) {
  return Error(fmt::format("{}:{}:{}", path, line, col), message);
}

Error Error::at_node(const std::string& node, const std::string& op, const std::string& message) {
  return Error(fmt::format("node '{}' ({})", node, op), message);
}

}  // namespace graphc
