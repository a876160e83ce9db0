// graphc train MODEL --data fashion-mnist|DIR [--epochs N] [--batch B] [--lr X] [--optimizer sgd|adam|adamw]
//   [--momentum M] [--nesterov] [--weight-decay W] [--lr-schedule constant|step|cosine] [--seed S]
//   [--checkpoint DIR [--resume]] [--export OUT.gcm] [--check-numerics] [--devices SPEC] [-O N]
//
// Compiles the model's training step once per batch size it will see (the
// batch, and the last partial batch of the training and test sets), trains
// with graphc::Trainer, evaluates on the test set after every epoch and
// writes DIR/latest.gckpt atomically after each.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "compiler/compiler.h"
#include "graphc/dataset.h"
#include "graphc/error.h"
#include "graphc/trainer.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"
#include "tools/graphc/training_progress.h"

namespace graphc::cli {

namespace {

struct TrainArgs {
  std::string model;
  std::string data;
  int epochs = 5;
  int64_t batch = 128;
  float lr = 0.05f;
  OptimizerArgs optimizer;
  std::string schedule = "constant";
  int lr_step_epochs = 1;
  float lr_gamma = 0.1f;
  int64_t seed = 0;
  std::string checkpoint;
  bool resume = false;
  std::string export_path;
  bool check_numerics = false;
  std::string devices;
  int opt_level = 2;
  std::string features = "x";
  std::string labels = "labels";
  std::string loss = "loss";
  std::string logits = "logits";
};

/// The per-example shape the model's features input declares (its dims after
/// the batch dim), checked against the dataset's examples.
Shape example_shape(const TrainArgs& args, const Dataset& train) {
  auto graph = load_model(args.model);
  const ir::Node* input = nullptr;
  for (const auto& s : graph->inputs()) {
    if (s.name == args.features) input = s.value->producer();
  }
  if (input == nullptr) {
    throw Error(args.model, fmt::format("the model has no input '{}' to feed the examples to (name it with --features)",
                                        args.features));
  }
  Shape shape = input->attrs().get_shape("shape");
  if (shape.empty()) throw Error(args.model, fmt::format("input '{}' is a scalar; it needs a batch dim", args.features));
  Shape example(shape.begin() + 1, shape.end());
  int64_t values = train.size() > 0 ? train.features.num_elements() / train.size() : 0;
  if (std::find(example.begin(), example.end(), -1) != example.end() || num_elements(example) != values) {
    throw Error(args.model, fmt::format("input '{}' takes examples of shape {}, the dataset's have {} values ({})",
                                        args.features, shape_to_string(example), values,
                                        shape_to_string(Shape(train.features.shape().begin() + 1,
                                                              train.features.shape().end()))));
  }
  return example;
}

std::shared_ptr<const Module> compile_step(const TrainArgs& args, const Shape& example, int64_t batch) {
  CompileOptions options;
  options.opt_level = args.opt_level;
  options.train = true;
  options.labels = args.labels;
  options.seed = args.seed;
  options.pipeline.loss = args.loss;
  if (!args.devices.empty()) options.pipeline.devices = DeviceSpec::parse(args.devices);
  options.pipeline.optimizer = args.optimizer.spec();
  Shape features = {batch};
  features.insert(features.end(), example.begin(), example.end());
  options.shapes[args.features] = features;
  options.shapes[args.labels] = {batch};
  std::ostringstream diag;
  return Module::from_proto(compile_model(args.model, options, diag));
}

std::filesystem::path checkpoint_file(const TrainArgs& args) {
  return std::filesystem::path(args.checkpoint) / "latest.gckpt";
}

void run_train(const TrainArgs& args) {
  if (args.epochs < 1 || args.batch < 1) throw Error("train", "--epochs and --batch must be at least 1");
  if (args.resume && args.checkpoint.empty()) throw Error("--resume", "needs --checkpoint DIR to resume from");
  DatasetSplits data = load_dataset(args.data);
  if (data.train.size() == 0 || data.test.size() == 0) throw Error(args.data, "the training or test set is empty");
  Shape example = example_shape(args, data.train);

  std::set<int64_t> batches = {std::min(args.batch, data.train.size())};
  for (int64_t n : {data.train.size(), data.test.size()}) {
    if (n % args.batch != 0) batches.insert(n % args.batch);
    if (n < args.batch) batches.insert(n);
  }
  std::vector<std::shared_ptr<const Module>> modules;
  for (int64_t b : batches) modules.push_back(compile_step(args, example, b));

  const int64_t batch = std::min(args.batch, data.train.size());
  const int64_t per_epoch = (data.train.size() + batch - 1) / batch;
  TrainerOptions options;
  options.features = args.features;
  options.labels = args.labels;
  options.loss = args.loss;
  options.logits = args.logits;
  options.session.check_numerics = args.check_numerics;
  options.learning_rate.kind = LearningRateSchedule::parse_kind(args.schedule);
  options.learning_rate.base = args.lr;
  options.learning_rate.step_every = per_epoch * args.lr_step_epochs;
  options.learning_rate.gamma = args.lr_gamma;
  options.learning_rate.total = per_epoch * args.epochs;
  Trainer trainer(std::move(modules), options);
  trainer.check_labels(data.train, args.data + " (training set)");
  trainer.check_labels(data.test, args.data + " (test set)");

  int first_epoch = 1;
  if (args.resume) {
    if (!std::filesystem::exists(checkpoint_file(args))) {
      throw Error(checkpoint_file(args).string(), "--resume: there is no checkpoint to resume from");
    }
    auto metadata = trainer.load_checkpoint(checkpoint_file(args));
    if (!metadata.count("epoch") || metadata["epoch"].find_first_not_of("0123456789") != std::string::npos ||
        metadata["epoch"].empty() || metadata["epoch"].size() > 9) {
      throw Error(checkpoint_file(args).string(), "was not written by graphc train (it records no epoch)");
    }
    if (metadata["seed"] != std::to_string(args.seed) || metadata["batch"] != std::to_string(batch)) {
      throw Error(checkpoint_file(args).string(),
                  fmt::format("was written with --seed {} --batch {}; resume with the same values to continue the "
                              "same run",
                              metadata["seed"], metadata["batch"]));
    }
    if (args.schedule == "cosine" && metadata["epochs"] != std::to_string(args.epochs)) {
      throw Error(checkpoint_file(args).string(),
                  fmt::format("was written by a run of --epochs {}; the cosine schedule spans all epochs, so resume "
                              "with the same --epochs",
                              metadata["epochs"]));
    }
    first_epoch = std::stoi(metadata["epoch"]) + 1;
    std::cerr << fmt::format("resumed from {} after epoch {} ({} updates)\n", checkpoint_file(args).string(),
                             first_epoch - 1, trainer.updates());
  }
  std::cerr << fmt::format("training {} on {}: {} train / {} test examples, batch {}, {} updates per epoch\n",
                           args.model, args.data, data.train.size(), data.test.size(), batch, per_epoch);
  if (!args.checkpoint.empty()) std::filesystem::create_directories(args.checkpoint);
  for (int epoch = first_epoch; epoch <= args.epochs; ++epoch) {
    std::vector<int64_t> order = epoch_order(data.train.size(), static_cast<uint64_t>(args.seed), epoch);
    TrainingProgress progress(epoch, args.epochs, per_epoch);
    for (int64_t b = 0; b < per_epoch; ++b) {
      int64_t begin = b * batch;
      int64_t count = std::min(batch, data.train.size() - begin);
      progress.update(b + 1, count, trainer.step(data.train, order, begin, count));
    }
    std::string summary = progress.finish();
    Evaluation eval = trainer.evaluate(data.test);
    std::cout << fmt::format("epoch {}/{}: {}, test accuracy {:.4f} ({}/{})\n", epoch, args.epochs, summary,
                             eval.accuracy(), eval.correct, eval.examples)
              << std::flush;
    if (!args.checkpoint.empty()) {
      trainer.save_checkpoint(checkpoint_file(args), {{"epoch", std::to_string(epoch)},
                                                       {"seed", std::to_string(args.seed)},
                                                       {"batch", std::to_string(batch)},
                                                       {"epochs", std::to_string(args.epochs)},
                                                       {"model", args.model}});
    }
  }
  if (!args.export_path.empty()) {
    trainer.export_inference(args.export_path);
    std::cout << fmt::format("wrote {} (inference, batch {})\n", args.export_path, batch);
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model's Variables on a dataset (IDX or .npy)");
  cmd->add_option("MODEL", args->model, "The model (.pbtxt/.pb/.onnx) with inputs x and labels and a scalar loss")
      ->required();
  cmd->add_option("--data", args->data,
                  "fashion-mnist (Debian's dataset-fashion-mnist) or a directory of IDX files or "
                  "train_x/train_y/test_x/test_y .npy files")
      ->required();
  cmd->add_option("--epochs", args->epochs, "Passes over the training set (default 5)");
  cmd->add_option("--batch", args->batch, "Examples per update (default 128)");
  cmd->add_option("--lr", args->lr, "Learning rate (default 0.05)");
  add_optimizer_options(*cmd, args->optimizer);
  cmd->add_option("--lr-schedule", args->schedule, "constant (default), step (x gamma every --lr-step-epochs) or cosine (to 0 over all --epochs)");
  cmd->add_option("--lr-step-epochs", args->lr_step_epochs, "step schedule: epochs between decays (default 1)");
  cmd->add_option("--lr-gamma", args->lr_gamma, "step schedule: decay factor (default 0.1)");
  cmd->add_option("--seed", args->seed, "Seeds the initial weights and the shuffling (default 0)");
  cmd->add_option("--checkpoint", args->checkpoint, "Directory for DIR/latest.gckpt, written after every epoch");
  cmd->add_flag("--resume", args->resume, "Continue from the checkpoint in --checkpoint DIR");
  cmd->add_option("--export", args->export_path, "Write the trained inference module (.gcm) at the end");
  cmd->add_flag("--check-numerics", args->check_numerics,
                "Stop at the first node that produces NaN or Inf, naming it (slower)");
  cmd->add_option("--devices", args->devices, "Devices: cpu, cpu:N or cpu:NxC (see graphc compile)");
  cmd->add_option("-O", args->opt_level, "Optimisation level (default 2)")->check(CLI::Range(0, 2));
  cmd->add_option("--features", args->features, "The model input the examples feed (default x)");
  cmd->add_option("--labels", args->labels, "The model input the labels feed (default labels)");
  cmd->add_option("--loss", args->loss, "The scalar loss output (default loss)");
  cmd->add_option("--logits", args->logits, "The [batch, classes] output evaluated for accuracy (default logits)");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace graphc::cli
