// Autograd (requires_grad, backward, grad, grad mode) and seeded random number generation.
#include "common.h"
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>

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

static ABSTAIN_FN(NewGenerator) {
  ABSTAIN_BODY(return WrapGen(info.Env(), at::make_generator<at::CPUGeneratorImpl>((uint64_t)Int(info, 0)));)
}
static ABSTAIN_FN(ManualSeed) {
  ABSTAIN_BODY(
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed((uint64_t)Int(info, 0));
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

static at::TensorOptions FloatOpts(const Napi::CallbackInfo& info, size_t i) {
  return at::TensorOptions().dtype(Has(info, i) ? ParseDtype(info[i]) : at::kFloat);
}
// randn(shape, gen|null, dtype), rand(shape, gen|null, dtype), randint(low, high, shape, gen|null), randperm(n, gen|null)
static ABSTAIN_FN(Randn) { ABSTAIN_BODY(return Wrap(info.Env(), at::randn(IntList(info[0]), OptGen(info, 1), FloatOpts(info, 2)));) }
static ABSTAIN_FN(Rand) { ABSTAIN_BODY(return Wrap(info.Env(), at::rand(IntList(info[0]), OptGen(info, 1), FloatOpts(info, 2)));) }
static ABSTAIN_FN(Randint) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::randint(Int(info, 0), Int(info, 1), IntList(info[2]), OptGen(info, 3), at::TensorOptions().dtype(at::kLong)));)
}
static ABSTAIN_FN(Randperm) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::randperm(Int(info, 0), OptGen(info, 1), at::TensorOptions().dtype(at::kLong)));)
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
