// deterministic_bytes (see deterministic_bytes.h).
#include "runtime/core/deterministic_bytes.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "graphc/error.h"

namespace graphc {

std::string deterministic_bytes(const google::protobuf::MessageLite& message, const std::string& where) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializeToCodedStream(&coded)) throw Error(where, "cannot serialise the message");
  }
  return bytes;
}

}  // namespace graphc
