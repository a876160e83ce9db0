// Training modules end to end: the optimizer pass (updates, slots, control
// edges, assignments), in-place state updates in sessions sharing a
// VariableStore, the inference entry point, learning-rate schedules, and
// graphc::Trainer with exact checkpoint round trips and its errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "compiler/ir/printer.h"
#include "compiler/ir/verifier.h"
#include "compiler/lower/lower.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"
#include "graphc/learning_rate.h"
#include "graphc/session.h"
#include "graphc/trainer.h"
#include "runtime/core/file_io.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// w (ones) · x summed: dloss/dw = x. Outputs loss and p = w·x.
const std::string kLinear =
    placeholder_node("x", {3}) +
    "node { name: 'w' op: 'Variable' attr { key: 'shape' value { shape { dim: 3 } } } "
    "attr { key: 'initializer' value { s: 'ones' } } }\n" +
    op_node("p", "Mul", {"w", "x"}) +
    op_node("loss", "ReduceSum", {"p"}, "attr { key: 'keepdims' value { b: false } }") +
    signature_text({{"x", "x"}}, {{"loss", "loss"}, {"p", "p"}});

/// A linear classifier of 4 features into 3 classes, batch dim -1.
const std::string kClassifier =
    placeholder_node("x", {-1, 4}) + placeholder_node("labels", {-1}, "DT_INT32") +
    "node { name: 'w' op: 'Variable' attr { key: 'shape' value { shape { dim: 4 dim: 3 } } } "
    "attr { key: 'seed' value { i: 7 } } }\n"
    "node { name: 'b' op: 'Variable' attr { key: 'shape' value { shape { dim: 3 } } } "
    "attr { key: 'initializer' value { s: 'zeros' } } }\n" +
    op_node("logits", "Dense", {"x", "w", "b"}) + op_node("loss", "SoftmaxCrossEntropy", {"logits", "labels"}) +
    signature_text({{"x", "x"}, {"labels", "labels"}}, {{"loss", "loss"}, {"logits", "logits"}});

proto::Module compile_training(const std::string& text, passes::OptimizerSpec optimizer, const ShapeOverrides& shapes = {},
                               int opt_level = 1, DeviceSpec devices = DeviceSpec::whole_machine()) {
  auto g = import_text(text, shapes);
  CompileOptions options;
  options.opt_level = opt_level;
  options.train = true;
  options.pipeline.optimizer = optimizer;
  options.pipeline.devices = devices;
  std::ostringstream diag;
  return compile_graph(*g, options, diag);
}

passes::OptimizerSpec sgd(float momentum = 0.0f) {
  passes::OptimizerSpec spec;
  spec.momentum = momentum;
  return spec;
}

void set_scalar_inputs(Session& s, float lr) { *s.input("learning_rate").data<float>() = lr; }

/// Separable data: the class is the index of the largest of the first three
/// features; the fourth is noise.
Dataset synthetic_dataset(int64_t n, uint32_t seed) {
  Dataset d{Tensor(DType::f32, {n, 4}), Tensor(DType::i32, {n})};
  uint32_t state = seed;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<float>(state >> 8) / static_cast<float>(1u << 24);
  };
  for (int64_t i = 0; i < n; ++i) {
    float* row = d.features.data<float>() + i * 4;
    for (int j = 0; j < 4; ++j) row[j] = next();
    d.labels.data<int32_t>()[i] = static_cast<int32_t>(std::max_element(row, row + 3) - row);
  }
  return d;
}

std::vector<std::shared_ptr<const Module>> classifier_modules(std::vector<int64_t> batches, passes::OptimizerSpec spec) {
  std::vector<std::shared_ptr<const Module>> modules;
  for (int64_t b : batches) {
    modules.push_back(Module::from_proto(compile_training(kClassifier, spec, {{"x", {b, 4}}, {"labels", {b}}})));
  }
  return modules;
}

}  // namespace

TEST_CASE("The optimizer pass replaces gradients with in-place updates, slots and ordering edges", "[train]") {
  auto g = import_text(kLinear);
  CompileOptions options;
  options.opt_level = 1;
  options.train = true;
  options.pipeline.optimizer = sgd(0.9f);
  std::ostringstream diag;
  proto::Module m = compile_graph(*g, options, diag);
  std::string ir = ir::print_graph(*g);
  CHECK_THAT(ir, Contains("= MomentumUpdate(%w, "));
  CHECK_THAT(ir, Contains("assign w = %w/update\n"));
  CHECK_THAT(ir, Contains("assign w/velocity = %w/update:1\n"));
  CHECK_THAT(ir, Contains("^p"));  // the forward reader of w runs before the update
  CHECK_THAT(ir, !Contains("output grad/"));
  CHECK(m.state_updates_size() == 2);
  CHECK(m.mutable_variables());
  std::vector<std::string> inputs;
  for (const auto& b : m.inputs()) inputs.push_back(b.name());
  CHECK(inputs == std::vector<std::string>{"x", "learning_rate"});
  // The inference entry point: the same Variables, no loss, no updates.
  const proto::Module& inference = m.inference();
  CHECK(inference.mutable_variables());
  CHECK(inference.state_updates_size() == 0);
  REQUIRE(inference.outputs_size() == 1);
  CHECK(inference.outputs(0).name() == "p");
}

TEST_CASE("A training step updates Variables in place; the inference entry point sees the new weights", "[train]") {
  proto::Module m = compile_training(kLinear, sgd());
  auto step_module = Module::from_proto(m);
  Session step(step_module);
  SessionOptions shared;
  shared.variables = step.variables();
  Session infer(Module::from_proto(m.inference()), shared);
  step.set_input("x", make_tensor<float>({3}, {1, 2, 3}));
  set_scalar_inputs(step, 0.5f);
  step.run();
  CHECK(step.output("loss").data<float>()[0] == 6.0f);  // computed with the old w
  CHECK(values_of<float>(*step.variables()->find("w")) == std::vector<float>{0.5f, 0.0f, -0.5f});
  step.run();
  CHECK(step.output("loss").data<float>()[0] == -1.0f);
  CHECK(values_of<float>(*step.variables()->find("w")) == std::vector<float>{0.0f, -1.0f, -2.0f});
  infer.set_input("x", make_tensor<float>({3}, {1, 1, 1}));
  infer.run();
  CHECK(values_of<float>(infer.output("p")) == std::vector<float>{0.0f, -1.0f, -2.0f});
  // A second session of the step module has its own store, from the initial values.
  Session fresh(step_module);
  CHECK(values_of<float>(*fresh.variables()->find("w")) == std::vector<float>{1, 1, 1});
}

TEST_CASE("Momentum keeps its velocity slot between steps", "[train]") {
  for (DeviceSpec devices : {DeviceSpec::parse("cpu"), DeviceSpec::parse("cpu:2")}) {
    Session step(Module::from_proto(compile_training(kLinear, sgd(0.9f), {}, 2, devices)));
    step.set_input("x", make_tensor<float>({3}, {1, 2, 3}));
    set_scalar_inputs(step, 0.1f);
    step.run();
    step.run();
    // v1 = x, w1 = 1 - 0.1·x; v2 = 0.9·x + x, w2 = w1 - 0.1·1.9·x.
    std::vector<float> w = values_of<float>(*step.variables()->find("w"));
    std::vector<float> v = values_of<float>(*step.variables()->find("w/velocity"));
    for (int i = 0; i < 3; ++i) {
      float x = static_cast<float>(i + 1);
      CHECK(v[i] == Approx(1.9f * x));
      CHECK(w[i] == Approx(1.0f - 0.29f * x));
    }
  }
}

TEST_CASE("Adam feeds its update number; step 0 is an error naming the update node", "[train]") {
  passes::OptimizerSpec adam;
  adam.kind = passes::OptimizerSpec::Kind::adam;
  Session step(Module::from_proto(compile_training(kLinear, adam)));
  step.set_input("x", make_tensor<float>({3}, {1, 2, 3}));
  set_scalar_inputs(step, 0.01f);
  REQUIRE_THROWS_WITH(step.run(), Contains("node 'w/update' (AdamUpdate)"));
  *step.input("optimizer_step").data<int64_t>() = 1;
  step.run();
  // The first Adam step moves every weight by lr (m̂/√v̂ = sign of g).
  for (float w : values_of<float>(*step.variables()->find("w"))) CHECK(w == Approx(0.99f).epsilon(1e-5));
}

TEST_CASE("BatchNormTraining's running statistics are state: updated in place, not trained", "[train]") {
  auto variable = [](const std::string& name, const char* init) {
    return fmt::format("node {{ name: '{}' op: 'Variable' attr {{ key: 'shape' value {{ shape {{ dim: 2 }} }} }} "
                       "attr {{ key: 'initializer' value {{ s: '{}' }} }} }}\n",
                       name, init);
  };
  std::string text = placeholder_node("x", {4, 2}) + variable("scale", "ones") + variable("bias", "zeros") +
                     variable("mean", "zeros") + variable("var", "ones") +
                     op_node("bn", "BatchNormTraining", {"x", "scale", "bias", "mean", "var"},
                             "attr { key: 'momentum' value { f: 0.5 } }") +
                     op_node("sq", "Mul", {"bn", "bn"}) +
                     op_node("loss", "ReduceSum", {"sq"}, "attr { key: 'keepdims' value { b: false } }") +
                     signature_text({{"x", "x"}}, {{"loss", "loss"}, {"y", "bn"}});
  Session step(Module::from_proto(compile_training(text, sgd(0.9f))));
  step.set_input("x", make_tensor<float>({4, 2}, {1, 10, 2, 20, 3, 30, 4, 40}));
  set_scalar_inputs(step, 0.1f);
  step.run();
  const VariableStore& store = *step.variables();
  CHECK(store.find("mean/velocity") == nullptr);  // not trained
  CHECK(store.find("scale/velocity") != nullptr);
  // mean ← 0.5·0 + 0.5·batch mean; var ← 0.5·1 + 0.5·unbiased batch variance.
  CHECK(values_of<float>(*store.find("mean")) == std::vector<float>{1.25f, 12.5f});
  std::vector<float> var = values_of<float>(*store.find("var"));
  CHECK(var[0] == Approx(0.5 + 0.5 * (5.0 / 3.0)));
  CHECK(var[1] == Approx(0.5 + 0.5 * (500.0 / 3.0)));
}

TEST_CASE("Assignments are checked: in place, once, after every other reader", "[train]") {
  SECTION("a value that is not an in-place update of the Variable") {
    auto g = import_text(kLinear);
    g->assignments().push_back({g->find("w"), g->find("p")->output(0)});
    passes::PassContext ctx;
    passes::infer_shapes(*g, ctx);
    passes::place(*g, ctx);
    REQUIRE_THROWS_WITH(lower_to_module(*g, DeviceSpec::whole_machine()),
                        Contains("node 'w' (Variable): is assigned 'p', but Mul ('p') does not update it in place"));
  }
  SECTION("a reader that may run after the update") {
    auto g = import_text(kLinear + op_node("late", "Neg", {"w"}));
    ir::Node* update = g->add_node("upd", "SGDUpdate", AttrMap("upd", "SGDUpdate", {}),
                                   {g->find("w")->output(0), g->find("x")->output(0), g->find("x")->output(0)});
    g->assignments().push_back({g->find("w"), update->output(0)});
    REQUIRE_THROWS_WITH(ir::verify_graph(*g, false),
                        Contains("node 'p' reads it but does not run before 'upd', which overwrites it"));
  }
}

TEST_CASE("Learning-rate schedules follow PyTorch's StepLR and CosineAnnealingLR", "[train]") {
  LearningRateSchedule step{LearningRateSchedule::Kind::step, 0.1f, 10, 0.5f};
  CHECK(step.at(0) == 0.1f);
  CHECK(step.at(9) == 0.1f);
  CHECK(step.at(10) == Approx(0.05f));
  CHECK(step.at(25) == Approx(0.025f));
  LearningRateSchedule cosine{LearningRateSchedule::Kind::cosine, 0.1f, 1, 0.1f, 100, 0.0f};
  CHECK(cosine.at(0) == Approx(0.1f));
  CHECK(cosine.at(50) == Approx(0.05f));
  CHECK(cosine.at(100) == Approx(0.0f).margin(1e-9));
  CHECK(cosine.at(150) == Approx(0.0f).margin(1e-9));
  CHECK_THROWS_WITH(LearningRateSchedule::parse_kind("linear"), Contains("unknown schedule 'linear'"));
}

TEST_CASE("Trainer learns a separable problem with a partial last batch", "[train]") {
  Dataset train = synthetic_dataset(100, 1), test = synthetic_dataset(60, 2);
  TrainerOptions options;
  options.learning_rate.base = 0.2f;
  Trainer trainer(classifier_modules({32, 4, 28}, sgd(0.9f)), options);
  CHECK(trainer.batch_sizes() == std::vector<int64_t>{32, 28, 4});
  float first = 0, last = 0;
  for (int epoch = 0; epoch < 30; ++epoch) {
    std::vector<int64_t> order = epoch_order(train.size(), 3, epoch);
    for (int64_t begin = 0; begin < train.size(); begin += 32) {
      float loss = trainer.step(train, order, begin, std::min<int64_t>(32, train.size() - begin));
      if (trainer.updates() == 1) first = loss;
      last = loss;
    }
  }
  CHECK(trainer.updates() == 30 * 4);
  CHECK(last < first / 3);
  Evaluation eval = trainer.evaluate(test);  // 32 + 28
  CHECK(eval.examples == 60);
  CHECK(eval.accuracy() > 0.85);
}

TEST_CASE("Checkpoints restore training exactly and reject other models and damaged files", "[train]") {
  Dataset train = synthetic_dataset(64, 5);
  std::vector<int64_t> order = epoch_order(train.size(), 1, 0);
  passes::OptimizerSpec adam;
  adam.kind = passes::OptimizerSpec::Kind::adam;
  TempDir dir;
  auto run_steps = [&](Trainer& t, int from, int count) {
    std::vector<float> losses;
    for (int i = from; i < from + count; ++i) losses.push_back(t.step(train, order, (i % 4) * 16, 16));
    return losses;
  };
  Trainer a(classifier_modules({16}, adam));
  run_steps(a, 0, 3);
  a.save_checkpoint(dir / "ckpt", {{"epoch", "1"}});
  std::vector<float> expected = run_steps(a, 3, 3);

  Trainer b(classifier_modules({16}, adam));
  CHECK(b.load_checkpoint(dir / "ckpt") == std::map<std::string, std::string>{{"epoch", "1"}});
  CHECK(b.updates() == 3);
  CHECK(run_steps(b, 3, 3) == expected);  // bit-identical

  std::string bytes = read_file(dir / "ckpt");
  dir.write("truncated", bytes.substr(0, bytes.size() - 10));
  CHECK_THROWS_WITH(b.load_checkpoint(dir / "truncated"), Contains("truncated or damaged checkpoint"));
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  dir.write("flipped", flipped);
  CHECK_THROWS_WITH(b.load_checkpoint(dir / "flipped"), Contains("corrupt checkpoint"));
  dir.write("foreign", "not a checkpoint");
  CHECK_THROWS_WITH(b.load_checkpoint(dir / "foreign"), Contains("not a graphc checkpoint"));
  // Same Variables, another optimizer: the slots differ.
  Trainer sgd_trainer(classifier_modules({16}, sgd(0.9f)));
  Tensor before = sgd_trainer.variables().find("w")->clone();
  CHECK_THROWS_WITH(sgd_trainer.load_checkpoint(dir / "ckpt"), Contains("is a checkpoint of another model: it holds 'b/adam_m'"));
  CHECK(values_of<float>(*sgd_trainer.variables().find("w")) == values_of<float>(before));  // untouched
}

TEST_CASE("Trainer errors: a module that is not for training, a batch without a module, bad labels, NaN", "[train]") {
  CHECK_THROWS_WITH(Trainer({Module::from_proto(compile_text(kClassifier, 1, {{"x", {4, 4}}, {"labels", {4}}}))}),
                    Contains("compile the model with graphc compile --train"));
  Trainer trainer(classifier_modules({4}, sgd()));
  CHECK_THROWS_WITH(trainer.step(Tensor(DType::f32, {3, 4}), Tensor(DType::i32, {3})),
                    Contains("no training module takes a batch of 3 examples"));
  Dataset bad = synthetic_dataset(8, 3);
  bad.labels.data<int32_t>()[5] = 3;
  CHECK_THROWS_WITH(trainer.check_labels(bad, "train_y.npy"),
                    "train_y.npy: label 3 of example 5 is outside [0, 3): the model's 'logits' has 3 classes");
  Tensor x = make_tensor<float>({4, 4}, std::vector<float>(16, 1.0f));
  x.data<float>()[2] = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(trainer.step(x, make_tensor<int32_t>({4}, {0, 1, 2, 0})), Contains("update 1: the loss is"));

  TrainerOptions checked;
  checked.session.check_numerics = true;
  Trainer numerics(classifier_modules({4}, sgd()), checked);
  CHECK_THROWS_WITH(numerics.step(x, make_tensor<int32_t>({4}, {0, 1, 2, 0})),
                    Contains("update 1: node 'logits' (Dense): output 0 ('logits') holds"));
}
