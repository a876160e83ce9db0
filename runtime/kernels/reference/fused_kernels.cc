// Reference kernels of the fused ops (compiler/ops/fused_ops.cc): the
// unfused ops' own reference kernels, run one after another. They are the
// oracle the oneDNN post-op and generated kernels are tested against, and
// the fallback where those are unavailable.
//
// FusedConv2D/Dense/MatMul: the anchor writes the output, then each
// epilogue op rewrites it in place (elementwise, each element read before
// it is written). FusedElementwise interprets its body, reductions over
// rows included (each body value has its own shape: fused_body_shapes);
// its computed values live in the step's scratch block
// (Kernel::scratch_bytes), bound once per session.
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "graphc/error.h"
#include "runtime/core/fusion_attrs.h"
#include "runtime/core/tensor_proto.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

class FusedAnchorKernel final : public Kernel {
 public:
  explicit FusedAnchorKernel(const KernelSpec& spec) {
    Epilogue epilogue = epilogue_of(spec.attrs);
    if (static_cast<int>(spec.inputs.size()) < 2 + epilogue.addends || spec.outputs.size() != 1) {
      fail(spec, fmt::format("has {} inputs for {} epilogue addends", spec.inputs.size(), epilogue.addends));
    }
    anchor_inputs_ = spec.inputs.size() - epilogue.addends;
    const TensorType& y = spec.outputs[0];
    attrs_.emplace_back(spec.node(), spec.op().substr(std::string("Fused").size()), spec.attrs.values());
    std::span<const Tensor* const> constants =
        spec.constants.empty() ? spec.constants : spec.constants.first(anchor_inputs_);
    anchor_ = KernelRegistry::reference().create({attrs_.back(), spec.inputs.first(anchor_inputs_), spec.outputs, constants});
    size_t addend = anchor_inputs_, scalar = 0;
    for (const std::string& op : epilogue.ops) {
      std::map<std::string, proto::AttrValue> values;
      if (op == "Gelu") values["approximate"].set_s(epilogue.gelu_approximate);
      attrs_.emplace_back(spec.node(), op, std::move(values));
      Operand second;
      std::vector<TensorType> in = {y};
      if (op == "Add") {
        second.input = static_cast<int>(addend);
        in.push_back(spec.inputs[addend++]);
      } else if (is_epilogue_clip(op)) {
        Tensor c(DType::f32, {});
        c.data<float>()[0] = epilogue.scalars[scalar++];
        second.scalar = c;
        in.push_back(c.type());
      }
      epilogue_.push_back({KernelRegistry::reference().create({attrs_.back(), in, spec.outputs}), second});
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override {
    anchor_->run(inputs.first(anchor_inputs_), outputs);
    for (const auto& [kernel, second] : epilogue_) {
      const Tensor* in[2] = {outputs[0], second.input >= 0 ? inputs[second.input] : second.scalar ? &*second.scalar : nullptr};
      kernel->run(std::span<const Tensor* const>(in, in[1] != nullptr ? 2 : 1), outputs);
    }
  }

 private:
  /// The second operand of an epilogue op: an addend input, a clip's scalar, or none.
  struct Operand {
    int input = -1;
    std::optional<Tensor> scalar;
  };

  std::deque<AttrMap> attrs_;  // the specs' attributes, kept for the kernels made from them
  size_t anchor_inputs_ = 0;
  std::unique_ptr<Kernel> anchor_;
  std::vector<std::pair<std::unique_ptr<Kernel>, Operand>> epilogue_;
};

class FusedElementwiseKernel final : public Kernel {
 public:
  explicit FusedElementwiseKernel(const KernelSpec& spec) {
    proto::GraphDef body = fused_body(spec.attrs);
    std::vector<Shape> input_shapes;
    for (const TensorType& t : spec.inputs) input_shapes.push_back(t.shape);
    std::map<std::string, Shape> shapes = fused_body_shapes(body, input_shapes, spec.node());
    std::map<std::string, int> slot_of;  // body value -> slot
    size_t next_input = 0;
    for (const auto& def : body.node()) {
      std::string where = fmt::format("node '{}' of fused node '{}'", def.name(), spec.node());
      if (def.op() == "Placeholder") {
        if (next_input == spec.inputs.size()) fail(spec, "the body has more Placeholders than the node has inputs");
        slot_of[def.name()] = static_cast<int>(slots_.size());
        slots_.push_back({spec.inputs[next_input], static_cast<int>(next_input), {}, 0});
        ++next_input;
        continue;
      }
      if (def.op() == "Const") {
        Tensor value = tensor_from_proto(def.attr().at("value").tensor(), where);
        slot_of[def.name()] = static_cast<int>(slots_.size());
        slots_.push_back({value.type(), -1, value, 0});
        continue;
      }
      Step step;
      std::vector<TensorType> in_types;
      for (const auto& input : def.input()) {
        auto it = slot_of.find(input);
        if (it == slot_of.end()) throw Error(where, fmt::format("reads '{}', which the body has not computed", input));
        step.inputs.push_back(it->second);
        in_types.push_back(slots_[it->second].type);
      }
      attrs_.emplace_back(def.name(), def.op(), std::map<std::string, proto::AttrValue>(def.attr().begin(), def.attr().end()));
      TensorType value_type{DType::f32, shapes.at(def.name())};
      std::vector<TensorType> out_types = {value_type};
      step.kernel = KernelRegistry::reference().create({attrs_.back(), in_types, out_types});
      step.output = static_cast<int>(slots_.size());
      slot_of[def.name()] = step.output;
      slots_.push_back({value_type, -1, {}, scratch_bytes_});
      scratch_bytes_ += (static_cast<size_t>(num_elements(value_type.shape)) * sizeof(float) + 63) / 64 * 64;
      steps_.push_back(std::move(step));
    }
    if (next_input != spec.inputs.size()) fail(spec, "the body has fewer Placeholders than the node has inputs");
    if (body.signature().outputs_size() != static_cast<int>(spec.outputs.size())) {
      fail(spec, fmt::format("the body has {} outputs for {}", body.signature().outputs_size(), spec.outputs.size()));
    }
    for (const auto& out : body.signature().outputs()) {
      auto it = slot_of.find(out.tensor());
      if (it == slot_of.end()) fail(spec, fmt::format("body output '{}' names no body node", out.tensor()));
      outputs_.push_back(it->second);
    }
  }

  /// Every computed body value in the scratch block, one after another.
  size_t scratch_bytes() const override { return scratch_bytes_; }

  std::unique_ptr<BoundKernel> bind(const KernelBinding& binding) const override {
    return std::make_unique<Bound>(*this, binding);
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override {
    Tensor scratch(DType::i8, {static_cast<int64_t>(scratch_bytes())});
    Bound(*this, {inputs, outputs, static_cast<std::byte*>(scratch.raw_data())}).run();
  }

 private:
  /// A body value: an input, a constant, or computed by a step.
  struct Slot {
    TensorType type;
    int input = -1;   // the node's input, or -1
    std::optional<Tensor> constant;  // a Const's value
    size_t scratch_offset = 0;       // a computed value's, 64-byte aligned
  };
  struct Step {
    std::unique_ptr<Kernel> kernel;
    std::vector<int> inputs;
    int output = 0;
  };

  /// The body over one session's step: computed values are views into its
  /// scratch block, inputs share the step's input tensors.
  class Bound final : public BoundKernel {
   public:
    Bound(const FusedElementwiseKernel& kernel, const KernelBinding& binding)
        : kernel_(kernel), inputs_(binding.inputs), outputs_(binding.outputs) {
      values_.reserve(kernel.slots_.size());  // never reallocated: the steps' argument lists point into it
      for (const Slot& s : kernel.slots_) {
        if (s.input >= 0) {
          values_.push_back(*inputs_[s.input]);
        } else if (s.constant) {
          values_.push_back(*s.constant);
        } else {
          values_.push_back(Tensor::view(s.type.dtype, s.type.shape, binding.scratch + s.scratch_offset));
        }
      }
      for (const Step& step : kernel.steps_) {
        auto& in = step_inputs_.emplace_back();
        for (int slot : step.inputs) in.push_back(&values_[slot]);
        step_outputs_.push_back(&values_[step.output]);
      }
    }

    void run() override {
      for (size_t i = 0; i < values_.size(); ++i) {
        int input = kernel_.slots_[i].input;
        if (input >= 0 && values_[i].raw_data() != inputs_[input]->raw_data()) values_[i] = *inputs_[input];
      }
      for (size_t s = 0; s < kernel_.steps_.size(); ++s) {
        kernel_.steps_[s].kernel->run(step_inputs_[s], std::span<Tensor* const>(&step_outputs_[s], 1));
      }
      for (size_t i = 0; i < kernel_.outputs_.size(); ++i) {
        const Tensor& v = values_[kernel_.outputs_[i]];
        std::copy_n(static_cast<const std::byte*>(v.raw_data()), v.byte_size(),
                    static_cast<std::byte*>(outputs_[i]->raw_data()));
      }
    }

   private:
    const FusedElementwiseKernel& kernel_;
    std::span<const Tensor* const> inputs_;
    std::span<Tensor* const> outputs_;
    std::vector<Tensor> values_;  // by slot
    std::vector<std::vector<const Tensor*>> step_inputs_;
    std::vector<Tensor*> step_outputs_;
  };

  std::deque<AttrMap> attrs_;
  std::vector<Slot> slots_;
  std::vector<Step> steps_;
  std::vector<int> outputs_;  // per node output, its slot
  size_t scratch_bytes_ = 0;    // of the computed values
};

}  // namespace

void register_reference_fused_kernels(KernelRegistry& r) {
  for (const char* op : {"FusedConv2D", "FusedDense", "FusedMatMul"}) {
    r.add(op, [](const KernelSpec& spec) -> std::unique_ptr<Kernel> { return std::make_unique<FusedAnchorKernel>(spec); });
  }
  r.add("FusedElementwise",
        [](const KernelSpec& spec) -> std::unique_ptr<Kernel> { return std::make_unique<FusedElementwiseKernel>(spec); });
}

}  // namespace graphc
