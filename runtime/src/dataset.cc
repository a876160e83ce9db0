// load_dataset: from a dataset's name or directory to its train and test
// splits. The file formats are in dataset_idx.cc and dataset_npy.cc.
#include "graphc/dataset.h"

#include <fmt/format.h>

#include <array>
#include <string>
#include <system_error>
#include <vector>

#include "graphc/error.h"

namespace graphc {

namespace {

// train features, train labels, test features, test labels.
constexpr std::array<const char*, 4> kIdxFiles = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
constexpr std::array<const char*, 4> kNpyFiles = {"train_x.npy", "train_y.npy", "test_x.npy", "test_y.npy"};

constexpr const char* kSources = "'fashion-mnist', or a directory of IDX or .npy files";

bool file_exists(const std::filesystem::path& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

/// The four files of one layout, found or missing.
struct Layout {
  std::vector<std::filesystem::path> found;
  std::vector<std::string> missing;

  bool complete() const { return missing.empty(); }
  bool partial() const { return !found.empty() && !missing.empty(); }
};

/// IDX files: the plain file if present, else its .gz.
Layout find_idx_files(const std::filesystem::path& dir) {
  Layout layout;
  for (const char* name : kIdxFiles) {
    if (file_exists(dir / name)) {
      layout.found.push_back(dir / name);
    } else if (std::string gz = std::string(name) + ".gz"; file_exists(dir / gz)) {
      layout.found.push_back(dir / gz);
    } else {
      layout.missing.push_back(fmt::format("{} (or {}.gz)", name, name));
    }
  }
  return layout;
}

Layout find_npy_files(const std::filesystem::path& dir) {
  Layout layout;
  for (const char* name : kNpyFiles) {
    if (file_exists(dir / name)) {
      layout.found.push_back(dir / name);
    } else {
      layout.missing.push_back(name);
    }
  }
  return layout;
}

/// The error for a directory holding neither layout completely: the missing
/// files of each layout it holds a part of (of both when it holds neither).
[[noreturn]] void fail_missing(const std::filesystem::path& dir, const Layout& idx, const Layout& npy) {
  const std::string idx_needs = fmt::format("IDX files {}, each optionally .gz", fmt::join(kIdxFiles, ", "));
  const std::string npy_needs = fmt::format(".npy files {}", fmt::join(kNpyFiles, ", "));
  std::vector<std::string> parts;
  if (idx.partial())
    parts.push_back(fmt::format("missing {} (an IDX dataset needs {})", fmt::join(idx.missing, ", "), idx_needs));
  if (npy.partial())
    parts.push_back(fmt::format("missing {} (a .npy dataset needs {})", fmt::join(npy.missing, ", "), npy_needs));
  if (parts.empty())
    throw Error(dir.string(), fmt::format("no dataset files: looked for {}, or {}", idx_needs, npy_needs));
  throw Error(dir.string(), fmt::format("incomplete dataset: {}", fmt::join(parts, "; ")));
}

/// Train and test examples must have one shape, or a model cannot take both.
void check_example_shapes(const DatasetSplits& splits, const std::filesystem::path& train,
                          const std::filesystem::path& test) {
  Shape train_shape(splits.train.features.shape().begin() + 1, splits.train.features.shape().end());
  Shape test_shape(splits.test.features.shape().begin() + 1, splits.test.features.shape().end());
  if (train_shape == test_shape) return;
  throw Error(test.string(), fmt::format("test examples are {}, but the train examples of {} are {}",
                                         shape_to_string(test_shape), train.string(), shape_to_string(train_shape)));
}

}  // namespace

DatasetSplits load_dataset(const std::string& source) {
  bool named = source == "fashion-mnist";
  std::filesystem::path dir = named ? std::filesystem::path(kFashionMnistDir) : std::filesystem::path(source);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (named) {
      throw Error(dir.string(),
                  "Fashion-MNIST is not installed (install Debian's dataset-fashion-mnist package, or "
                  "pass a directory of IDX or .npy files)");
    }
    if (file_exists(dir)) throw Error(source, fmt::format("not a directory (a dataset is {})", kSources));
    throw Error(source, fmt::format("no such dataset directory (a dataset is {})", kSources));
  }

  Layout idx = find_idx_files(dir);
  Layout npy = find_npy_files(dir);
  if (!idx.complete() && !npy.complete()) fail_missing(dir, idx, npy);
  // IDX first: a directory may hold both (e.g. .npy files converted from IDX).
  const auto& files = idx.complete() ? idx.found : npy.found;
  auto* load_split = idx.complete() ? load_idx : load_npy_pair;
  DatasetSplits splits{load_split(files[0], files[1]), load_split(files[2], files[3])};
  check_example_shapes(splits, files[0], files[2]);
  return splits;
}

}  // namespace graphc
