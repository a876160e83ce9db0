// NpyHeaderDict (see npy_header_dict.h).
#include "runtime/src/npy_header_dict.h"

#include <fmt/format.h>

#include <cctype>

#include "graphc/error.h"

namespace graphc {

std::string NpyHeaderDict::string_value(std::string_view key) {
  seek_value(key);
  char quote = peek();
  if (quote != '\'' && quote != '"') fail(fmt::format("'{}' must be a string", key));
  size_t end = text_.find(quote, pos_ + 1);
  if (end == std::string::npos) fail("unterminated string");
  std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
  pos_ = end + 1;
  return value;
}

bool NpyHeaderDict::bool_value(std::string_view key) {
  seek_value(key);
  if (text_.compare(pos_, 4, "True") == 0) return true;
  if (text_.compare(pos_, 5, "False") == 0) return false;
  fail(fmt::format("'{}' must be True or False", key));
}

Shape NpyHeaderDict::shape_value(std::string_view key) {
  seek_value(key);
  if (peek() != '(') fail("'shape' must be a tuple");
  ++pos_;
  Shape shape;
  while (true) {
    skip_space();
    if (peek() == ')') return shape;
    size_t start = pos_;
    while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
    if (start == pos_) fail("'shape' must hold non-negative integers");
    if (pos_ - start > 15) fail(fmt::format("dim {} is too large", text_.substr(start, pos_ - start)));
    shape.push_back(std::stoll(text_.substr(start, pos_ - start)));
    skip_space();
    if (peek() == ',') ++pos_;
  }
}

void NpyHeaderDict::fail(const std::string& what) const {
  // The header ends in spaces and a newline (padding): one line in errors.
  std::string_view shown = text_;
  while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) shown.remove_suffix(1);
  throw Error(where_, fmt::format("malformed .npy header ({}): {}", what, shown));
}

void NpyHeaderDict::seek_value(std::string_view key) {
  for (char quote : {'\'', '"'}) {
    size_t at = text_.find(fmt::format("{0}{1}{0}", quote, key));
    if (at == std::string::npos) continue;
    pos_ = text_.find(':', at);
    if (pos_ == std::string::npos) fail(fmt::format("no value for '{}'", key));
    ++pos_;
    skip_space();
    return;
  }
  fail(fmt::format("missing key '{}'", key));
}

void NpyHeaderDict::skip_space() {
  while (std::isspace(static_cast<unsigned char>(peek()))) ++pos_;
}

}  // namespace graphc
