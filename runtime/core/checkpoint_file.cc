// Checkpoint file layout (little-endian):
//   8 bytes  magic "GCCKPT01"
//   8 bytes  payload length n
//   n bytes  proto::Checkpoint, serialised deterministically
//   4 bytes  CRC-32 (zlib) of the payload
// A protobuf payload cut at a field boundary still parses, so the length and
// the CRC are what tell a truncated or damaged file from a good one.
#include "runtime/core/checkpoint_file.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cstring>
#include <limits>

#include "graphc/error.h"
#include "runtime/core/deterministic_bytes.h"
#include "runtime/core/file_io.h"

namespace graphc {

namespace {

constexpr char kMagic[8] = {'G', 'C', 'C', 'K', 'P', 'T', '0', '1'};
constexpr size_t kHeaderBytes = 16;
constexpr size_t kTrailerBytes = 4;

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t get_le(const std::string& in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return value;
}

uint32_t crc_of(const char* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large payloads in pieces.
  while (size > 0) {
    auto piece = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data), piece);
    data += piece;
    size -= piece;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

void write_checkpoint_file(const std::filesystem::path& path, const proto::Checkpoint& checkpoint) {
  std::string payload = deterministic_bytes(checkpoint, path.string());
  std::string bytes(kMagic, sizeof kMagic);
  put_le(bytes, payload.size(), 8);
  bytes += payload;
  put_le(bytes, crc_of(payload.data(), payload.size()), 4);
  write_file_atomically(path, bytes);
}

proto::Checkpoint read_checkpoint_file(const std::filesystem::path& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(path.string(), "not a graphc checkpoint (the file does not start with GCCKPT01)");
  }
  if (bytes.size() < kHeaderBytes) throw Error(path.string(), "truncated checkpoint: the header is incomplete");
  uint64_t payload_size = get_le(bytes, 8, 8);
  if (payload_size > bytes.size() || bytes.size() - kHeaderBytes - kTrailerBytes != payload_size) {
    throw Error(path.string(), fmt::format("truncated or damaged checkpoint: the header promises {} bytes of data, "
                                           "the file holds {}",
                                           payload_size + kHeaderBytes + kTrailerBytes, bytes.size()));
  }
  if (payload_size > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    throw Error(path.string(), "checkpoint data over 2 GiB is not supported");
  }
  const char* payload = bytes.data() + kHeaderBytes;
  if (crc_of(payload, payload_size) != get_le(bytes, kHeaderBytes + payload_size, 4)) {
    throw Error(path.string(), "corrupt checkpoint: the data does not match its CRC");
  }
  proto::Checkpoint checkpoint;
  if (!checkpoint.ParseFromArray(payload, static_cast<int>(payload_size))) {
    throw Error(path.string(), "corrupt checkpoint: the data does not parse");
  }
  return checkpoint;
}

}  // namespace graphc
