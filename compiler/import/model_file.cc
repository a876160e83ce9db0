// GraphDef file reading/writing with positioned parse errors.
#include "compiler/import/model_file.h"

#include <fmt/format.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include "graphc/error.h"
#include "runtime/core/file_io.h"

namespace graphc {

namespace {

/// Line `line` (0-based) of `text` with tabs expanded to the next multiple
/// of 8 columns, as protobuf's tokenizer counts them.
std::string expanded_line(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 0; i < line && start != std::string_view::npos; ++i) {
    start = text.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  std::string out;
  if (start == std::string_view::npos) return out;
  for (size_t i = start; i < text.size() && text[i] != '\n'; ++i) {
    if (text[i] == '\t') {
      out.append(8 - out.size() % 8, ' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

/// Protobuf reports an unknown field name or enum value at the token after
/// it. When the message quotes an identifier that is the token just before
/// `column`, returns the identifier's column instead (all 0-based).
int offending_name_column(std::string_view text, int line, int column, const std::string& message) {
  std::string source = expanded_line(text, line);
  size_t end = std::min(static_cast<size_t>(column), source.size());
  while (end > 0 && std::isspace(static_cast<unsigned char>(source[end - 1]))) --end;
  size_t open = message.find('"');
  while (open != std::string::npos) {
    size_t close = message.find('"', open + 1);
    if (close == std::string::npos) break;
    std::string_view name = std::string_view(message).substr(open + 1, close - open - 1);
    bool identifier = !name.empty() && std::all_of(name.begin(), name.end(), is_name_char);
    if (identifier && name.size() <= end) {
      size_t start = end - name.size();
      if (source.compare(start, name.size(), name) == 0 && (start == 0 || !is_name_char(source[start - 1]))) {
        return static_cast<int>(start);
      }
    }
    open = message.find('"', close + 1);
  }
  return column;
}

/// Keeps the first parse error with its position (protobuf reports 0-based
/// line and column; users count from 1).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  FirstErrorCollector(std::string path, std::string_view text) : path_(std::move(path)), text_(text) {}

  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (error) return;
    error = Error::at_file(path_, line + 1, offending_name_column(text_, line, column, message) + 1, message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  std::optional<Error> error;

 private:
  std::string path_;
  std::string_view text_;
};

bool is_text(const std::filesystem::path& path) {
  auto ext = path.extension().string();
  return ext == ".pbtxt" || ext == ".txt" || ext == ".textproto";
}

}  // namespace

proto::GraphDef read_graphdef(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  proto::GraphDef graph;
  if (is_text(path)) {
    google::protobuf::TextFormat::Parser parser;
    FirstErrorCollector errors(path.string(), bytes);
    parser.RecordErrorsTo(&errors);
    if (!parser.ParseFromString(bytes, &graph)) {
      if (errors.error) throw *errors.error;
      throw Error(path.string(), "malformed text GraphDef");
    }
    return graph;
  }
  if (!graph.ParseFromString(bytes)) {
    throw Error(path.string(), "not a binary GraphDef (.pb): the file does not parse (text models need the "
                               ".pbtxt extension)");
  }
  return graph;
}

void write_graphdef(const std::filesystem::path& path, const proto::GraphDef& graph) {
  std::string bytes;
  if (is_text(path)) {
    google::protobuf::TextFormat::PrintToString(graph, &bytes);
  } else {
    graph.SerializeToString(&bytes);
  }
  write_file_atomically(path, bytes);
}

}  // namespace graphc
