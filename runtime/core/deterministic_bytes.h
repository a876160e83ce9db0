// Protobuf serialisation with map entries sorted by key, so the same message
// always gives the same bytes (modules, checkpoints).
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>

namespace graphc {

/// Throws graphc::Error naming `where` when the message cannot be serialised.
std::string deterministic_bytes(const google::protobuf::MessageLite& message, const std::string& where);

}  // namespace graphc
