// Trainer (see graphc/trainer.h): one session per training module and one
// per inference entry point, all bound to one VariableStore.
#include "graphc/trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "graphc/error.h"
#include "graphc/training_signature.h"
#include "runtime/core/checkpoint_file.h"
#include "runtime/core/deterministic_bytes.h"
#include "runtime/core/file_io.h"
#include "runtime/core/tensor_proto.h"
#include "runtime/src/module_impl.h"

namespace graphc {

namespace {

constexpr int kCheckpointFormatVersion = 1;

bool has_input(const Module& m, std::string_view name) {
  return std::any_of(m.inputs().begin(), m.inputs().end(), [&](const TensorInfo& t) { return t.name == name; });
}

const TensorInfo* find_info(const std::vector<TensorInfo>& infos, std::string_view name) {
  for (const auto& t : infos) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::set<std::string> variable_names(const Module& m) {
  std::set<std::string> names;
  for (int id : m.impl().variable_ids) names.insert(m.impl().proto.values(id).name());
  return names;
}

}  // namespace

struct Trainer::State {
  /// A training module of one batch size, its inference entry point, and a
  /// session of each.
  struct Entry {
    int64_t batch;
    Session train;
    Session infer;
    Tensor eval_labels;  // i32 [batch]: evaluate()'s scratch
  };

  TrainerOptions options;
  std::shared_ptr<VariableStore> store = std::make_shared<VariableStore>();
  std::vector<Entry> entries;  // by decreasing batch size
  int64_t updates = 0;
  bool feeds_step = false;  // Adam's optimizer_step input

  Entry& entry_for(int64_t batch) {
    for (auto& e : entries) {
      if (e.batch == batch) return e;
    }
    throw Error("trainer", fmt::format("no training module takes a batch of {} examples (the trainer has modules for "
                                       "batches of {}); compile one with --train --shape {}={}x...",
                                       batch, fmt::join(batch_sizes(), ", "), options.features, batch));
  }

  std::vector<int64_t> batch_sizes() const {
    std::vector<int64_t> sizes;
    for (const auto& e : entries) sizes.push_back(e.batch);
    return sizes;
  }

  float run_update(Entry& e) {
    Session& s = e.train;
    *s.input(training_signature::learning_rate).data<float>() = options.learning_rate.at(updates);
    if (feeds_step) *s.input(training_signature::optimizer_step).data<int64_t>() = updates + 1;
    try {
      s.run();
    } catch (const Error& error) {
      throw Error(fmt::format("update {}: {}", updates + 1, error.where()), error.message());
    }
    ++updates;
    float loss = *s.output(options.loss).data<float>();
    if (!std::isfinite(loss)) {
      throw Error(fmt::format("update {}", updates),
                  fmt::format("the loss is {} (rerun with --check-numerics / SessionOptions::check_numerics to find "
                              "the first node that produced a non-finite value; a smaller learning rate often helps)",
                              std::isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf"));
    }
    return loss;
  }
};

Trainer::Trainer(std::vector<std::shared_ptr<const Module>> training_modules, TrainerOptions options)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  const TrainerOptions& o = state_->options;
  if (training_modules.empty()) throw Error("trainer", "no training module given");
  std::sort(training_modules.begin(), training_modules.end(), [&](const auto& a, const auto& b) {
    const TensorInfo* fa = find_info(a->inputs(), o.features);
    const TensorInfo* fb = find_info(b->inputs(), o.features);
    return fa && fb && !fa->type.shape.empty() && !fb->type.shape.empty() && fa->type.shape[0] > fb->type.shape[0];
  });
  std::set<std::string> variables = variable_names(*training_modules.front());
  SessionOptions session_options = o.session;
  session_options.variables = state_->store;
  for (const auto& m : training_modules) {
    const TensorInfo* features = find_info(m->inputs(), o.features);
    const TensorInfo* labels = find_info(m->inputs(), o.labels);
    if (m->impl().proto.state_updates_size() == 0 || !m->impl().proto.has_inference() ||
        !has_input(*m, training_signature::learning_rate)) {
      throw Error("trainer", "a module is not a training module: compile the model with graphc compile --train");
    }
    if (features == nullptr || labels == nullptr || features->type.shape.empty() ||
        labels->type.shape != Shape{features->type.shape[0]} || find_info(m->outputs(), o.loss) == nullptr) {
      throw Error("trainer", fmt::format("a training module does not have the inputs '{}' [N, ...] and '{}' [N] and "
                                         "the output '{}'",
                                         o.features, o.labels, o.loss));
    }
    if (variable_names(*m) != variables) {
      throw Error("trainer", "the training modules are of different models (their Variables differ)");
    }
    int64_t batch = features->type.shape[0];
    if (std::any_of(state_->entries.begin(), state_->entries.end(), [&](const auto& e) { return e.batch == batch; })) {
      throw Error("trainer", fmt::format("two training modules take batches of {}", batch));
    }
    auto inference = Module::from_proto(m->impl().proto.inference());
    const TensorInfo* logits = find_info(inference->outputs(), o.logits);
    if (logits == nullptr || logits->type.shape.size() != 2 || logits->type.shape[0] != batch) {
      throw Error("trainer", fmt::format("the inference entry point has no output '{}' of shape [{}, classes]",
                                         o.logits, batch));
    }
    state_->feeds_step = has_input(*m, training_signature::optimizer_step);
    state_->entries.push_back(State::Entry{batch, Session(m, session_options), Session(inference, session_options),
                                            Tensor(DType::i32, {batch})});
  }
}

Trainer::~Trainer() = default;
Trainer::Trainer(Trainer&&) noexcept = default;
Trainer& Trainer::operator=(Trainer&&) noexcept = default;

float Trainer::step(const Tensor& features, const Tensor& labels) {
  State::Entry& e = state_->entry_for(features.shape().empty() ? 0 : features.shape()[0]);
  e.train.set_input(state_->options.features, features);
  e.train.set_input(state_->options.labels, labels);
  return state_->run_update(e);
}

float Trainer::step(const Dataset& data, const std::vector<int64_t>& order, int64_t begin, int64_t count) {
  State::Entry& e = state_->entry_for(count);
  gather_batch(data, order, begin, count, e.train.input(state_->options.features),
               e.train.input(state_->options.labels));
  return state_->run_update(e);
}

Evaluation Trainer::evaluate(const Dataset& data) {
  Evaluation result;
  std::vector<int64_t> order(static_cast<size_t>(data.size()));
  for (int64_t i = 0; i < data.size(); ++i) order[static_cast<size_t>(i)] = i;
  int64_t begin = 0;
  while (begin < data.size()) {
    int64_t left = data.size() - begin;
    auto e = std::find_if(state_->entries.begin(), state_->entries.end(), [&](const auto& x) { return x.batch <= left; });
    if (e == state_->entries.end()) {
      throw Error("trainer", fmt::format("cannot evaluate the last {} examples: the trainer has modules for batches "
                                         "of {}",
                                         left, fmt::join(state_->batch_sizes(), ", ")));
    }
    gather_batch(data, order, begin, e->batch, e->infer.input(state_->options.features), e->eval_labels);
    e->infer.run();
    const Tensor& logits = e->infer.output(state_->options.logits);
    const int64_t classes = logits.shape()[1];
    const float* rows = logits.data<float>();
    const int32_t* labels = e->eval_labels.data<int32_t>();
    for (int64_t r = 0; r < e->batch; ++r) {
      const float* row = rows + r * classes;
      result.correct += (std::max_element(row, row + classes) - row) == labels[r];
    }
    result.examples += e->batch;
    begin += e->batch;
  }
  return result;
}

void Trainer::check_labels(const Dataset& data, const std::string& what) const {
  // The constructor checked every inference entry has [batch, classes] logits.
  const Module& inference = state_->entries.front().infer.module();
  const int64_t classes = find_info(inference.outputs(), state_->options.logits)->type.shape[1];
  const int32_t* labels = data.labels.data<int32_t>();
  for (int64_t i = 0; i < data.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) {
      throw Error(what, fmt::format("label {} of example {} is outside [0, {}): the model's '{}' has {} classes",
                                    labels[i], i, classes, state_->options.logits, classes));
    }
  }
}

int64_t Trainer::updates() const { return state_->updates; }
std::vector<int64_t> Trainer::batch_sizes() const { return state_->batch_sizes(); }
const VariableStore& Trainer::variables() const { return *state_->store; }
float Trainer::learning_rate() const { return state_->options.learning_rate.at(state_->updates); }

void Trainer::save_checkpoint(const std::filesystem::path& path,
                              const std::map<std::string, std::string>& metadata) const {
  proto::Checkpoint checkpoint;
  checkpoint.set_format_version(kCheckpointFormatVersion);
  checkpoint.set_updates(state_->updates);
  for (const std::string& name : state_->store->names()) {
    auto* t = checkpoint.add_tensors();
    t->set_name(name);
    *t->mutable_data() = tensor_to_proto(*state_->store->find(name));
  }
  checkpoint.mutable_metadata()->insert(metadata.begin(), metadata.end());
  write_checkpoint_file(path, checkpoint);
}

std::map<std::string, std::string> Trainer::load_checkpoint(const std::filesystem::path& path) {
  proto::Checkpoint checkpoint = read_checkpoint_file(path);
  const std::string where = path.string();
  if (checkpoint.format_version() != kCheckpointFormatVersion) {
    throw Error(where, fmt::format("checkpoint format version {} is not supported (this runtime reads version {})",
                                   checkpoint.format_version(), kCheckpointFormatVersion));
  }
  // Check everything before changing anything.
  std::map<std::string, Tensor> values;
  for (const auto& t : checkpoint.tensors()) {
    const Tensor* current = state_->store->find(t.name());
    if (current == nullptr) {
      throw Error(where, fmt::format("is a checkpoint of another model: it holds '{}', which this model does not have",
                                     t.name()));
    }
    Tensor value = tensor_from_proto(t.data(), fmt::format("{}: tensor '{}'", where, t.name()));
    if (value.type() != current->type()) {
      throw Error(where, fmt::format("is a checkpoint of another model: '{}' is {} there and {} here", t.name(),
                                     value.type().to_string(), current->type().to_string()));
    }
    values.emplace(t.name(), std::move(value));
  }
  for (const std::string& name : state_->store->names()) {
    if (!values.count(name)) {
      throw Error(where, fmt::format("is a checkpoint of another model (or another optimizer): it lacks '{}'", name));
    }
  }
  for (const auto& [name, value] : values) state_->store->assign(name, value);
  state_->updates = checkpoint.updates();
  return {checkpoint.metadata().begin(), checkpoint.metadata().end()};
}

void Trainer::export_inference(const std::filesystem::path& path) const {
  proto::Module module = state_->entries.front().infer.module().impl().proto;
  module.set_mutable_variables(false);
  for (auto& c : *module.mutable_constants()) {
    if (!c.variable()) continue;
    const Tensor* trained = state_->store->find(module.values(c.value()).name());
    if (trained != nullptr) *c.mutable_data() = tensor_to_proto(*trained);
  }
  write_file_atomically(path, deterministic_bytes(module, path.string()));
}

}  // namespace graphc
