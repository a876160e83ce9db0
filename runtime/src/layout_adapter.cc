// LayoutAdapter: plain temporaries around a kernel that reads plain tensors.
#include "runtime/src/layout_adapter.h"

namespace graphc {

LayoutAdapter::LayoutAdapter(std::unique_ptr<Kernel> plain, const KernelSpec& spec) : plain_(std::move(plain)) {
  for (size_t i = 0; i < spec.inputs.size(); ++i) input_layouts_.push_back(spec.input_layout(i));
  for (size_t i = 0; i < spec.outputs.size(); ++i) output_layouts_.push_back(spec.output_layout(i));
}

void LayoutAdapter::run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const {
  std::vector<Tensor> converted_inputs(inputs.size()), converted_outputs(outputs.size());
  std::vector<const Tensor*> plain_inputs(inputs.begin(), inputs.end());
  std::vector<Tensor*> plain_outputs(outputs.begin(), outputs.end());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (input_layouts_[i] == Layout::plain) continue;
    const Tensor& stored = *inputs[i];
    converted_inputs[i] = Tensor(stored.dtype(), stored.shape());
    convert_layout(stored.shape(), dtype_size(stored.dtype()), stored.raw_data(), input_layouts_[i],
                   converted_inputs[i].raw_data(), Layout::plain);
    plain_inputs[i] = &converted_inputs[i];
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (output_layouts_[i] == Layout::plain) continue;
    converted_outputs[i] = Tensor(outputs[i]->dtype(), outputs[i]->shape());
    plain_outputs[i] = &converted_outputs[i];
  }
  plain_->run(plain_inputs, plain_outputs);
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (output_layouts_[i] == Layout::plain) continue;
    convert_layout(outputs[i]->shape(), dtype_size(outputs[i]->dtype()), converted_outputs[i].raw_data(),
                   Layout::plain, outputs[i]->raw_data(), output_layouts_[i]);
  }
}

}  // namespace graphc
