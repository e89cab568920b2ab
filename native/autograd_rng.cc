// Autograd (requires_grad, backward, grad, grad mode) and seeded random number generation.
#include "common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>

namespace abstain {

static ABSTAIN_FN(RequiresGrad) { ABSTAIN_BODY(return Napi::Boolean::New(info.Env(), Unwrap(info[0]).requires_grad());) }
static ABSTAIN_FN(SetRequiresGrad) { ABSTAIN_BODY(Unwrap(info[0]).requires_grad_(Bool(info, 1)); return info.Env().Undefined();) }
// backward(t, grad|null): accumulates gradients into the leaves' .grad, as in PyTorch.
static ABSTAIN_FN(Backward) {
  ABSTAIN_BODY(
    auto& t = Unwrap(info[0]);
    if (Has(info, 1)) t.backward(Unwrap(info[1])); else t.backward();
    return info.Env().Undefined();
  )
}
// grad(t): the accumulated gradient, or null when none.
static ABSTAIN_FN(Grad) {
  ABSTAIN_BODY(
    const auto& g = Unwrap(info[0]).grad();
    if (!g.defined()) return info.Env().Null();
    return Wrap(info.Env(), g);
  )
}
static ABSTAIN_FN(ZeroGrad) {
  ABSTAIN_BODY(Unwrap(info[0]).mutable_grad().reset(); return info.Env().Undefined();)
}
static ABSTAIN_FN(Detach) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).detach());) }
static ABSTAIN_FN(SetGradEnabled) { ABSTAIN_BODY(at::GradMode::set_enabled(Bool(info, 0)); return info.Env().Undefined();) }
static ABSTAIN_FN(IsGradEnabled) { return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled()); }

// Generators: an explicit generator per stream of randomness (training shuffles, smoothing noise).
struct GenHolder {
  at::Generator g;
};

static Napi::Value WrapGen(Napi::Env env, at::Generator g) {
  auto ext = Napi::External<GenHolder>::New(env, new GenHolder{std::move(g)}, [](Napi::Env, GenHolder* p) { delete p; });
  napi_type_tag_object(env, ext, &kGenTag);
  return ext;
}

at::Generator& UnwrapGen(const Napi::Value& v) {
  bool ok = v.IsExternal();
  if (ok) napi_check_object_type_tag(v.Env(), v, &kGenTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a generator handle");
  return v.As<Napi::External<GenHolder>>().Data()->g;
}

c10::optional<at::Generator> OptGen(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return c10::nullopt;
  return UnwrapGen(info[i]);
}

// newGenerator(seed, device|null): a generator of the device's kind, seeded. A CUDA generator
// is a clone of that GPU's default one (the only constructor that libtorch 1.13 and 2.x share
// without CUDA headers), reseeded. Same seed, same device: the same stream; streams of different
// devices differ (libtorch's CPU and CUDA generators are different algorithms).
static ABSTAIN_FN(NewGenerator) {
  ABSTAIN_BODY(
    uint64_t seed = (uint64_t)Int(info, 0);
    at::Device d = DeviceArg(info, 1);
    if (d.is_cpu()) return WrapGen(info.Env(), at::make_generator<at::CPUGeneratorImpl>(seed));
    if (d.is_cuda() && !d.has_index()) d = at::Device(at::kCUDA, 0);
    at::Generator def = at::globalContext().defaultGenerator(d);  // shares the default's state
    at::Generator g;
    {
      std::lock_guard<std::mutex> lock(def.mutex());
      g = def.clone();
    }
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
    return WrapGen(info.Env(), g);
  )
}
static ABSTAIN_FN(GeneratorDevice) { ABSTAIN_BODY(return Napi::String::New(info.Env(), UnwrapGen(info[0]).device().str());) }
// manualSeed(seed): libtorch's default generators, the CPU's and every GPU's.
static ABSTAIN_FN(ManualSeed) {
  ABSTAIN_BODY(
    auto g = at::detail::getDefaultCPUGenerator();
    {
      std::lock_guard<std::mutex> lock(g.mutex());
      g.set_current_seed((uint64_t)Int(info, 0));
    }
    if (torch::cuda::is_available()) torch::cuda::manual_seed_all((uint64_t)Int(info, 0));
    return info.Env().Undefined();
  )
}
// getState(gen|null) -> uint8 tensor; setState(gen|null, tensor). For resumable checkpoints.
static ABSTAIN_FN(GetRngState) {
  ABSTAIN_BODY(
    auto g = Has(info, 0) ? UnwrapGen(info[0]) : at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    return Wrap(info.Env(), g.get_state());
  )
}
static ABSTAIN_FN(SetRngState) {
  ABSTAIN_BODY(
    auto g = Has(info, 0) ? UnwrapGen(info[0]) : at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(Unwrap(info[1]));
    return info.Env().Undefined();
  )
}

// Where a random tensor is drawn: the device argument at i when given, else the generator's
// device, else the CPU.
static at::Device RandDevice(const Napi::CallbackInfo& info, size_t i, const c10::optional<at::Generator>& gen) {
  if (Has(info, i)) return DeviceArg(info, i);
  return gen ? gen->device() : at::Device(at::kCPU);
}
static at::TensorOptions FloatOpts(const Napi::CallbackInfo& info, size_t i, const c10::optional<at::Generator>& gen) {
  return at::TensorOptions().dtype(Has(info, i) ? ParseDtype(info[i]) : at::kFloat).device(RandDevice(info, i + 1, gen));
}
// randn(shape, gen|null, dtype, device|null), rand(shape, gen|null, dtype, device|null),
// randint(low, high, shape, gen|null, device|null), randperm(n, gen|null, device|null)
static ABSTAIN_FN(Randn) {
  ABSTAIN_BODY(auto gen = OptGen(info, 1); return Wrap(info.Env(), at::randn(IntList(info[0]), gen, FloatOpts(info, 2, gen)));)
}
static ABSTAIN_FN(Rand) {
  ABSTAIN_BODY(auto gen = OptGen(info, 1); return Wrap(info.Env(), at::rand(IntList(info[0]), gen, FloatOpts(info, 2, gen)));)
}
static ABSTAIN_FN(Randint) {
  ABSTAIN_BODY(
    auto gen = OptGen(info, 3);
    return Wrap(info.Env(), at::randint(Int(info, 0), Int(info, 1), IntList(info[2]), gen,
                                        at::TensorOptions().dtype(at::kLong).device(RandDevice(info, 4, gen))));
  )
}
static ABSTAIN_FN(Randperm) {
  ABSTAIN_BODY(
    auto gen = OptGen(info, 1);
    return Wrap(info.Env(), at::randperm(Int(info, 0), gen, at::TensorOptions().dtype(at::kLong).device(RandDevice(info, 2, gen))));
  )
}
// normal_(t, mean, std, gen|null): fills t in place, so a noise buffer can be reused.
static ABSTAIN_FN(NormalInplace) {
  ABSTAIN_BODY(Unwrap(info[0]).normal_(Dbl(info, 1), Dbl(info, 2), OptGen(info, 3)); return info.Env().Undefined();)
}
static ABSTAIN_FN(UniformInplace) {
  ABSTAIN_BODY(Unwrap(info[0]).uniform_(Dbl(info, 1), Dbl(info, 2), OptGen(info, 3)); return info.Env().Undefined();)
}
static ABSTAIN_FN(Multinomial) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::multinomial(Unwrap(info[0]), Int(info, 1), Bool(info, 2), OptGen(info, 3)));)
}

void RegisterAutogradRng(Napi::Env env, Napi::Object exports) {
  ABSTAIN_EXPORT(exports, "requiresGrad", RequiresGrad);
  ABSTAIN_EXPORT(exports, "setRequiresGrad", SetRequiresGrad);
  ABSTAIN_EXPORT(exports, "backward", Backward);
  ABSTAIN_EXPORT(exports, "grad", Grad);
  ABSTAIN_EXPORT(exports, "zeroGrad", ZeroGrad);
  ABSTAIN_EXPORT(exports, "detach", Detach);
  ABSTAIN_EXPORT(exports, "setGradEnabled", SetGradEnabled);
  ABSTAIN_EXPORT(exports, "isGradEnabled", IsGradEnabled);
  ABSTAIN_EXPORT(exports, "newGenerator", NewGenerator);
  ABSTAIN_EXPORT(exports, "generatorDevice", GeneratorDevice);
  ABSTAIN_EXPORT(exports, "manualSeed", ManualSeed);
  ABSTAIN_EXPORT(exports, "getRngState", GetRngState);
  ABSTAIN_EXPORT(exports, "setRngState", SetRngState);
  ABSTAIN_EXPORT(exports, "randn", Randn);
  ABSTAIN_EXPORT(exports, "rand", Rand);
  ABSTAIN_EXPORT(exports, "randint", Randint);
  ABSTAIN_EXPORT(exports, "randperm", Randperm);
  ABSTAIN_EXPORT(exports, "normal_", NormalInplace);
  ABSTAIN_EXPORT(exports, "uniform_", UniformInplace);
  ABSTAIN_EXPORT(exports, "multinomial", Multinomial);
}

}  // namespace abstain
