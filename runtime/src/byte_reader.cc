// ByteReader: zlib's gzopen/gzread over plain and gzip files.
//
// gzread reports three endings, and each becomes its own message: a clean
// end of data (the file is shorter than its header promises), Z_BUF_ERROR
// (the gzip stream stops mid-way: a cut-off download) and -1 (corrupt
// compressed data, or a CRC mismatch found at the end of the stream).
#include "runtime/src/byte_reader.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "graphc/error.h"

namespace graphc {

namespace {

/// Deflate compresses at best about 1032:1, so a .gz of n bytes holds at most
/// this many bytes per compressed byte (plus a little for tiny files).
constexpr uint64_t kMaxDeflateRatio = 1032;
constexpr uint64_t kDeflateSlack = 1 << 16;
/// zlib's input buffer; its 8 KiB default makes decompression slower.
constexpr unsigned kZlibBufferSize = 1 << 17;
/// gzread takes an unsigned length and returns an int.
constexpr size_t kMaxGzread = size_t{1} << 30;

}  // namespace

ByteReader::ByteReader(const std::filesystem::path& path) : path_(path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw Error(path.string(), "no such file");
  if (std::filesystem::is_directory(status)) throw Error(path.string(), "is a directory, expected a file");
  file_size_ = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path.string(), fmt::format("cannot read: {}", ec.message()));

  errno = 0;
  file_ = gzopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw Error(path.string(), fmt::format("cannot open: {}", errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file_, kZlibBufferSize);
  compressed_ = gzdirect(file_) == 0;
  if (path.extension() == ".gz" && !compressed_) {
    gzclose(file_);
    file_ = nullptr;
    throw Error(path.string(), "corrupt .gz: not in gzip format");
  }
}

ByteReader::~ByteReader() {
  if (file_ != nullptr) gzclose(file_);
}

void ByteReader::expect_size(uint64_t bytes, std::string what) {
  expected_size_ = bytes;
  expected_what_ = std::move(what);
  if (!compressed_) {
    if (file_size_ != bytes) fail_size(file_size_, false);
    return;
  }
  if (bytes > file_size_ * kMaxDeflateRatio + kDeflateSlack) {
    fail(fmt::format("truncated: {} ({} bytes), more than a .gz of {} bytes can hold", expected_what_, bytes,
                     file_size_));
  }
}

void ByteReader::read(void* out, size_t n) {
  size_t got = read_some(out, n);
  if (got == n) return;
  if (!expected_what_.empty()) fail_size(position_, false);
  fail(fmt::format("truncated: expected at least {} bytes, the file has {}", position_ - got + n, position_));
}

void ByteReader::expect_end() {
  char extra;
  if (read_some(&extra, 1) == 0) return;
  fail_size(compressed_ ? position_ : file_size_, compressed_);
}

size_t ByteReader::read_some(void* out, size_t n) {
  auto* dst = static_cast<char*>(out);
  size_t got = 0;
  while (got < n) {
    int r = gzread(file_, dst + got, static_cast<unsigned>(std::min(n - got, kMaxGzread)));
    if (r < 0) {
      int code = Z_OK;
      std::string message = gzerror(file_, &code);
      // zlib prefixes its message with the path, which Error already gives.
      std::string prefix = path_.string() + ": ";
      if (message.starts_with(prefix)) message.erase(0, prefix.size());
      fail(code == Z_ERRNO ? "read error: " + message : "corrupt .gz: " + message);
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
    position_ += static_cast<uint64_t>(r);
  }
  if (got < n) {
    int code = Z_OK;
    gzerror(file_, &code);
    if (code == Z_BUF_ERROR) {
      fail(
          fmt::format("corrupt .gz: the compressed data ends early, after {} decompressed bytes (an incomplete "
                      "download?)",
                      position_));
    }
  }
  return got;
}

void ByteReader::fail(const std::string& message) const { throw Error(path_.string(), message); }

void ByteReader::fail_size(uint64_t actual, bool at_least) const {
  const char* unit = compressed_ ? " decompressed" : "";
  if (actual < expected_size_) {
    fail(
        fmt::format("truncated: {} ({} bytes), the file has {} bytes{}", expected_what_, expected_size_, actual, unit));
  }
  fail(fmt::format("too long: {} ({} bytes), the file has {}{} bytes{}", expected_what_, expected_size_,
                   at_least ? "at least " : "", actual, unit));
}

}  // namespace graphc
