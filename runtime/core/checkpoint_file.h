// Checkpoint files: a proto::Checkpoint framed so that truncation and
// corruption are detected (see checkpoint_file.cc for the layout).
#pragma once

#include <filesystem>

#include "proto/checkpoint.pb.h"

namespace graphc {

/// Writes atomically: a run killed mid-save leaves the previous file intact.
void write_checkpoint_file(const std::filesystem::path& path, const proto::Checkpoint& checkpoint);

/// Throws graphc::Error naming the path for a missing, truncated, corrupt or
/// foreign file.
proto::Checkpoint read_checkpoint_file(const std::filesystem::path& path);

}  // namespace graphc
