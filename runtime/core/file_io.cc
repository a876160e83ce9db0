// read_file, and write_file_atomically: temp file + fsync + rename +
// directory fsync.
#include "runtime/core/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "graphc/error.h"

namespace graphc {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw Error(path.string(), fmt::format("cannot write file: {}: {}", what, std::strerror(errno)));
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path, "write");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), fmt::format("cannot open: {}", std::strerror(errno)));
  std::string bytes;
  try {
    // libstdc++ throws from the iterator when read() fails (e.g. EISDIR).
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure&) {
    throw Error(path.string(), fmt::format("read error: {}", std::strerror(errno)));
  }
  if (in.bad()) throw Error(path.string(), fmt::format("read error: {}", std::strerror(errno)));
  return bytes;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / fmt::format(".{}.tmp.XXXXXX", path.filename().string())).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail(path, "create temporary file");
  try {
    write_all(fd, bytes, path);
    if (::fchmod(fd, 0644) != 0) fail(path, "chmod");
    if (::fsync(fd) != 0) fail(path, "fsync");
    if (::close(fd) != 0) {
      fd = -1;
      fail(path, "close");
    }
    fd = -1;
    if (::rename(tmpl.c_str(), path.c_str()) != 0) fail(path, "rename");
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmpl.c_str());
    throw;
  }
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace graphc
