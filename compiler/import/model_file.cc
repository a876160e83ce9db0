// GraphDef file reading/writing with positioned parse errors.
#include "compiler/import/model_file.h"

#include <fmt/format.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <optional>

#include "graphc/error.h"
#include "runtime/core/file_io.h"

namespace graphc {

namespace {

/// Keeps the first parse error with its position (protobuf reports 0-based
/// line and column; users count from 1).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!error) error = Error::at_file(path, line + 1, column + 1, message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}

  std::string path;
  std::optional<Error> error;
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
    FirstErrorCollector errors;
    errors.path = path.string();
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
