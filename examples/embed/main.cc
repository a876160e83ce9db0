// Runs a compiled graphc module from C++ with only the runtime library:
//   embed MODULE.gcm INPUT.npy [OUTPUT_DIR]
// feeds INPUT.npy to the module's first input, runs it, prints each output
// and, given OUTPUT_DIR, writes each output there as <name>.npy.
#include <graphc/graphc.h>

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s MODULE.gcm INPUT.npy [OUTPUT_DIR]\n", argv[0]);
    return 2;
  }
  try {
    // Load once (kernels are created here), then run as often as needed.
    std::shared_ptr<const graphc::Module> module = graphc::Module::load(argv[1]);
    graphc::Session session(module);
    session.set_input(module->inputs().at(0).name, graphc::read_npy(argv[2]));
    session.run();
    for (const graphc::TensorInfo& out : module->outputs()) {
      const graphc::Tensor& t = session.output(out.name);
      std::printf("%s %s", out.name.c_str(), t.type().to_string().c_str());
      if (t.dtype() == graphc::DType::f32) {
        for (int64_t i = 0; i < t.num_elements() && i < 10; ++i) std::printf(" %.6g", t.data<float>()[i]);
      }
      std::printf("\n");
      if (argc == 4) graphc::write_npy(std::filesystem::path(argv[3]) / (out.name + ".npy"), t);
    }
  } catch (const graphc::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
