// Whole-file reads, and atomic writes: a reader sees the old file or the
// complete new one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace graphc {

/// The whole content of a file; graphc::Error naming the path if unreadable.
std::string read_file(const std::filesystem::path& path);

/// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it
/// over `path` and fsyncs the directory. On failure the temporary file is
/// removed, `path` is untouched, and graphc::Error names the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace graphc
