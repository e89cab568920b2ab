// Devices: where a tensor lives, moving tensors between devices, what the linked libtorch offers
// (CUDA compiled in, GPUs present), and inference mode. Written against APIs that libtorch 1.13
// and 2.x share, so the same source builds against Debian's CPU libtorch and a CUDA PyTorch.
#include "common.h"
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <dlfcn.h>
#include <memory>

#ifndef ABSTAIN_WITH_CUDA
#define ABSTAIN_WITH_CUDA 0
#endif

namespace abstain {

at::Device DeviceArg(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return at::Device(at::kCPU);
  // at::Device parses "cpu", "cuda", "cuda:N" and throws c10::Error (a JS Error) on anything else.
  return at::Device(info[i].As<Napi::String>().Utf8Value());
}

// device(t): "cpu" or "cuda:N".
static ABSTAIN_FN(DeviceOf) { ABSTAIN_BODY(return Napi::String::New(info.Env(), Unwrap(info[0]).device().str());) }

// toDevice(t, device): a copy on the device (t itself, as a new handle, when it is there already).
static ABSTAIN_FN(ToDevice) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).to(DeviceArg(info, 1)));) }

// moveTo_(t, device): replaces the tensor behind this handle by its copy on the device, keeping
// requires_grad (a leaf stays a leaf) and moving its gradient along. Every holder of the handle
// (an optimizer, a certifier) sees the moved tensor, as with PyTorch's module.to(device).
static ABSTAIN_FN(MoveToInplace) {
  ABSTAIN_BODY(
    at::Tensor& t = Unwrap(info[0]);
    at::Device d = DeviceArg(info, 1);
    if (t.device() != d) {
      c10::NoGradGuard no_grad;  // not at::, which libtorch 2.x declares in a header it no longer pulls in
      at::Tensor moved = t.detach().to(d);
      if (t.requires_grad()) moved.requires_grad_(true);
      if (t.grad().defined()) moved.mutable_grad() = t.grad().detach().to(d);
      t = moved;
    }
    return info.Env().Undefined();
  )
}

// The shared library that libtorch's CPU code was loaded from (which libtorch this process uses).
static std::string LibtorchPath() {
  Dl_info dl;
  if (dladdr(reinterpret_cast<void*>(&at::get_num_threads), &dl) && dl.dli_fname) return dl.dli_fname;
  return "";
}

// The kernels OpenBLAS chose ("Haswell", "SkylakeX", ...), or "" when libtorch's BLAS is not it.
static std::string OpenblasCore() {
  for (const char* name : {"libopenblas.so.0", "libblas.so.3", "libopenblas.so"}) {
    void* h = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h) continue;
    auto fn = reinterpret_cast<char* (*)()>(dlsym(h, "openblas_get_corename"));
    std::string core = fn ? fn() : "";
    dlclose(h);
    if (!core.empty()) return core;
  }
  return "";
}

// torchInfo(): { version, cudaCompiled, cudaAvailable, cudaDeviceCount, library, blasCore }.
// cudaCompiled says whether the addon was linked against a libtorch with CUDA (libtorch_cuda);
// cudaAvailable whether that libtorch also finds a GPU and its driver now.
static ABSTAIN_FN(TorchInfo) {
  ABSTAIN_BODY(
    auto env = info.Env();
    auto o = Napi::Object::New(env);
    o.Set("version", Napi::String::New(env, TORCH_VERSION));
    o.Set("cudaCompiled", Napi::Boolean::New(env, ABSTAIN_WITH_CUDA != 0));
    bool available = torch::cuda::is_available();
    o.Set("cudaAvailable", Napi::Boolean::New(env, available));
    o.Set("cudaDeviceCount", Napi::Number::New(env, available ? (double)torch::cuda::device_count() : 0.0));
    o.Set("library", Napi::String::New(env, LibtorchPath()));
    o.Set("blasCore", Napi::String::New(env, OpenblasCore()));
    return o;
  )
}

// synchronize(device|null): waits for the GPU's queued work (timings); nothing on the CPU.
static ABSTAIN_FN(Synchronize) {
  ABSTAIN_BODY(
    at::Device d = DeviceArg(info, 0);
    if (d.is_cuda()) torch::cuda::synchronize(d.has_index() ? d.index() : -1);
    return info.Env().Undefined();
  )
}

// Inference mode (c10::InferenceMode) as a stack of guards: JS enters and exits it around a
// synchronous block (try/finally), so guards are always destroyed in reverse order.
static std::vector<std::unique_ptr<c10::InferenceMode>> g_inference;
static ABSTAIN_FN(EnterInferenceMode) {
  ABSTAIN_BODY(
    g_inference.push_back(std::make_unique<c10::InferenceMode>(true));
    return Napi::Number::New(info.Env(), (double)g_inference.size());
  )
}
static ABSTAIN_FN(ExitInferenceMode) {
  ABSTAIN_BODY(
    if (g_inference.empty()) throw Napi::Error::New(info.Env(), "exitInferenceMode: not in inference mode");
    g_inference.pop_back();
    return info.Env().Undefined();
  )
}
static ABSTAIN_FN(IsInferenceMode) { return Napi::Boolean::New(info.Env(), c10::InferenceMode::is_enabled()); }

void RegisterDevice(Napi::Env env, Napi::Object exports) {
#if ABSTAIN_WITH_CUDA
  // cuDNN may otherwise convolve float32 in TF32 (10-bit mantissa) on Ampere and newer GPUs:
  // IBP and CROWN bounds would then be off by ~1e-3 relative, beyond the float32 rounding their
  // soundness allows, and GPU results would drift from the CPU's. (cuBLAS's default is full
  // float32 already.)
  at::globalContext().setAllowTF32CuDNN(false);
#endif
  ABSTAIN_EXPORT(exports, "device", DeviceOf);
  ABSTAIN_EXPORT(exports, "toDevice", ToDevice);
  ABSTAIN_EXPORT(exports, "moveTo_", MoveToInplace);
  ABSTAIN_EXPORT(exports, "torchInfo", TorchInfo);
  ABSTAIN_EXPORT(exports, "synchronize", Synchronize);
  ABSTAIN_EXPORT(exports, "enterInferenceMode", EnterInferenceMode);
  ABSTAIN_EXPORT(exports, "exitInferenceMode", ExitInferenceMode);
  ABSTAIN_EXPORT(exports, "isInferenceMode", IsInferenceMode);
}

}  // namespace abstain
