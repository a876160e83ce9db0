// Trainer: training a compiled model from C++ (what `graphc train` uses).
//
//   auto step = graphc::Module::load("mlp.train.gcm");   // graphc compile --train
//   graphc::Trainer trainer({step}, {.learning_rate = {.base = 0.05f}});
//   float loss = trainer.step(images, labels);           // one optimizer update
//   trainer.save_checkpoint("ckpt/latest.gckpt");
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graphc/dataset.h"
#include "graphc/learning_rate.h"
#include "graphc/module.h"
#include "graphc/session.h"
#include "graphc/variables.h"

namespace graphc {

struct TrainerOptions {
  std::string features = "x";       // the training modules' batch input
  std::string labels = "labels";    // their labels input
  std::string loss = "loss";        // their scalar loss output
  std::string logits = "logits";    // the inference entry's output evaluate() takes the argmax of
  LearningRateSchedule learning_rate;
  SessionOptions session;  // e.g. check_numerics; `variables` is the trainer's own
};

struct Evaluation {
  int64_t examples = 0;
  int64_t correct = 0;
  double accuracy() const { return examples > 0 ? static_cast<double>(correct) / static_cast<double>(examples) : 0.0; }
};

/// Trains the Variables of a model through its training modules (graphc
/// compile --train), one per batch size the caller will feed (e.g. the batch
/// size and the last partial batch), all of the same model: they share one
/// VariableStore, as do their inference entry points, which evaluate() runs.
class Trainer {
 public:
  explicit Trainer(std::vector<std::shared_ptr<const Module>> training_modules, TrainerOptions options = {});
  ~Trainer();
  Trainer(Trainer&&) noexcept;
  Trainer& operator=(Trainer&&) noexcept;

  /// One optimizer update on a batch; returns its loss. The batch size picks
  /// the module. Throws graphc::Error on a non-finite loss, naming the update.
  float step(const Tensor& features, const Tensor& labels);
  /// The same on rows order[begin, begin + count) of `data`, copied straight
  /// into the module's input buffers.
  float step(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t count);

  /// Accuracy of the inference entry's `logits` argmax over `data`, in
  /// batches of the sizes the trainer has modules for.
  Evaluation evaluate(const Dataset& data);

  /// Checks every label of `data` is a class of the model's logits.
  void check_labels(const Dataset& data, const std::string& what) const;

  /// Optimizer updates applied (restored by load_checkpoint).
  int64_t updates() const;
  /// The batch sizes of the training modules, largest first.
  std::vector<int64_t> batch_sizes() const;
  const VariableStore& variables() const;
  /// The learning rate of the next update.
  float learning_rate() const;

  /// Saves the variables, optimizer slots, update count and `metadata`
  /// atomically (a crash mid-save keeps the previous file).
  void save_checkpoint(const std::filesystem::path& path, const std::map<std::string, std::string>& metadata = {}) const;
  /// Restores what save_checkpoint wrote and returns its metadata. A
  /// checkpoint of another model (a tensor missing, extra or of another type)
  /// is an error naming the tensor, and nothing is changed.
  std::map<std::string, std::string> load_checkpoint(const std::filesystem::path& path);

  /// Writes the inference entry point (of the largest batch size) as a
  /// standalone module whose Variables are constants holding the trained
  /// weights, for `graphc run` and graphc::Session.
  void export_inference(const std::filesystem::path& path) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace graphc
