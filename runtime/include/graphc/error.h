// The one error type graphc reports: where it happened and what went wrong.
#pragma once

#include <stdexcept>
#include <string>

namespace graphc {

/// Every failure graphc reports to a caller, from a malformed text proto to a
/// kernel that cannot run. `where()` locates it (a "file:line:col", a node as
/// "node 'conv1' (Conv2D)", or a file path); `message()` says what was
/// expected and what was found. `what()` is "where: message".
class Error : public std::runtime_error {
 public:
  Error(std::string where, std::string message);

  /// An error at a position in a text file (line and column are 1-based).
  static Error at_file(const std::string& path, int line, int col, const std::string& message);
  /// An error about a graph node.
  static Error at_node(const std::string& node, const std::string& op, const std::string& message);

  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  std::string where_;
  std::string message_;
};

}  // namespace graphc
