// Labelled datasets for training: loading them, and cutting them into batches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

/// A labelled dataset in memory: `features` f32 [N, ...] (8-bit images
/// scaled to [0, 1]) and `labels` i32 [N], class indices >= 0.
struct Dataset {
  Tensor features;
  Tensor labels;

  /// N, the number of examples.
  int64_t size() const { return labels.num_elements(); }
};

struct DatasetSplits {
  Dataset train;
  Dataset test;
};

/// Where Debian's dataset-fashion-mnist package installs Fashion-MNIST.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Loads the train and test splits of `source`: "fashion-mnist" (the IDX
/// files under kFashionMnistDir), or a directory holding either
///  - IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte,
///    t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally .gz
///    (a plain file is preferred to its .gz), or
///  - .npy files train_x.npy, train_y.npy, test_x.npy, test_y.npy (see
///    load_npy_pair).
/// Throws graphc::Error for a missing directory, missing files (all of them
/// listed), and any file load_idx or load_npy_pair rejects.
DatasetSplits load_dataset(const std::string& source);

/// Reads one split from IDX files (plain or gzip; big-endian header): images
/// with magic 0x00000803 (u8 [N, rows, cols]) become features f32
/// [N, rows, cols] = pixel / 255; labels with magic 0x00000801 (u8 [N]).
Dataset load_idx(const std::filesystem::path& images, const std::filesystem::path& labels);

/// Reads one split from .npy files: features float32 [N, ...] as they are, or
/// uint8 [N, ...] scaled by 1/255; labels of any integer dtype, [N] or [N, 1],
/// each >= 0 and fitting in i32.
Dataset load_npy_pair(const std::filesystem::path& features, const std::filesystem::path& labels);

/// The order of one epoch: a permutation of [0, size) that depends only on
/// (seed, epoch) and is the same on every machine and standard library
/// (std::mt19937_64 and an unbiased Fisher-Yates shuffle of our own). With
/// `shuffle` false, the identity.
std::vector<int64_t> epoch_order(int64_t size, uint64_t seed, int64_t epoch, bool shuffle = true);

/// Copies examples order[begin, begin + count) of `data` into `features` (f32
/// of exactly count * example-size elements, any shape: [count, 784] or
/// [count, 1, 28, 28]) and `labels` (i32 or i64 of exactly count elements).
/// A partial last batch needs tensors of its own size. Throws graphc::Error
/// on a size or dtype mismatch, a range outside `order`, or an index outside
/// the dataset.
void gather_batch(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t count,
                  Tensor& features, Tensor& labels);

}  // namespace graphc
