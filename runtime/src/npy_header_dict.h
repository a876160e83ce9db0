// The dict literal of a .npy header ("{'descr': '<f4', 'fortran_order':
// False, 'shape': (2, 3), }"): just the value kinds NumPy writes there.
// Shared by read_npy and the dataset reader.
#pragma once

#include <string>
#include <string_view>

#include "graphc/tensor.h"

namespace graphc {

class NpyHeaderDict {
 public:
  /// `where` names the file in errors.
  NpyHeaderDict(std::string text, std::string where) : text_(std::move(text)), where_(std::move(where)) {}

  std::string string_value(std::string_view key);
  bool bool_value(std::string_view key);
  Shape shape_value(std::string_view key);

  /// graphc::Error "WHERE: malformed .npy header (WHAT): TEXT".
  [[noreturn]] void fail(const std::string& what) const;

 private:
  void seek_value(std::string_view key);
  void skip_space();
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  std::string text_;
  std::string where_;
  size_t pos_ = 0;
};

}  // namespace graphc
