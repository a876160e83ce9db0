// Reading a dataset file front to back, gzip or not.
//
// zlib's gzread decompresses a gzip file and passes any other file through
// unchanged, so one reader serves `train-images-idx3-ubyte` and
// `train-images-idx3-ubyte.gz` alike. A format reader declares the size its
// header promises (`expect_size`) before it allocates anything; the reader
// then reports a file too short or too long with both numbers, and a corrupt
// or cut-off .gz, as graphc::Error naming the file.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

struct gzFile_s;  // zlib's gzFile; zlib.h stays out of this header

namespace graphc {

class ByteReader {
 public:
  /// Opens `path`; a name ending in ".gz" must hold gzip data.
  explicit ByteReader(const std::filesystem::path& path);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Bytes read so far (decompressed).
  uint64_t position() const { return position_; }

  /// Declares the whole (decompressed) size of the file, as its header
  /// promises: `what` says why, e.g. "the header promises 3 images of 2x2".
  /// Throws at once when the file cannot be that size (a plain file's size is
  /// known; a .gz cannot hold more than deflate's 1032:1 ratio allows), so a
  /// tiny file cannot make its reader allocate gigabytes.
  void expect_size(uint64_t bytes, std::string what);

  /// Reads exactly `n` bytes into `out`; throws when the file ends first.
  void read(void* out, size_t n);

  /// Checks that nothing follows what was read (for a .gz this also checks
  /// its CRC, which zlib verifies at the end of the stream).
  void expect_end();

 private:
  /// Reads up to `n` bytes, fewer only at the end of the data.
  size_t read_some(void* out, size_t n);
  [[noreturn]] void fail(const std::string& message) const;
  [[noreturn]] void fail_size(uint64_t actual, bool at_least) const;

  std::filesystem::path path_;
  gzFile_s* file_ = nullptr;
  bool compressed_ = false;
  uint64_t file_size_ = 0;
  uint64_t position_ = 0;
  uint64_t expected_size_ = 0;
  std::string expected_what_;
};

/// Reads `count` values stored as `In` (host byte order) and stores
/// convert(value, index) in out[index], a chunk at a time: one pass, and a
/// buffer of at most 1 MiB besides `out`.
template <class In, class Out, class Convert>
void read_converted(ByteReader& in, uint64_t count, Out* out, Convert convert) {
  constexpr uint64_t kChunk = (uint64_t{1} << 20) / sizeof(In);
  std::vector<In> buffer(std::min(count, kChunk));
  for (uint64_t done = 0; done < count;) {
    size_t n = std::min<uint64_t>(count - done, buffer.size());
    in.read(buffer.data(), n * sizeof(In));
    for (size_t i = 0; i < n; ++i) out[done + i] = convert(buffer[i], done + i);
    done += n;
  }
}

}  // namespace graphc
