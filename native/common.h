// Shared helpers for the libtorch binding: tensor handles, argument conversion, error mapping.
// The binding is deliberately thin: every exported function converts arguments, calls one ATen
// function, and converts the result back. No algorithm lives here.
#pragma once
#include <napi.h>
#include <ATen/ATen.h>
#include <atomic>
#include <string>
#include <vector>

namespace abstain {

// A tensor handle owned by JS. dispose() drops the tensor early; the finalizer is the last resort.
struct Holder {
  at::Tensor t;
  bool alive = true;
};

extern std::atomic<int64_t> g_live;
extern const napi_type_tag kTensorTag;
extern const napi_type_tag kGenTag;

Napi::Value Wrap(Napi::Env env, at::Tensor t);
at::Tensor& Unwrap(const Napi::Value& v);
at::Generator& UnwrapGen(const Napi::Value& v);
c10::optional<at::Generator> OptGen(const Napi::CallbackInfo& info, size_t i);

std::vector<int64_t> IntList(const Napi::Value& v);
at::ScalarType ParseDtype(const Napi::Value& v);
// A device string ("cpu", "cuda", "cuda:N") at argument i; absent or null means the CPU.
at::Device DeviceArg(const Napi::CallbackInfo& info, size_t i);
// A tensor's elements as a CPU tensor (the tensor itself when it is on the CPU already): every
// read of values back into JS goes through the CPU.
inline at::Tensor OnCpu(const at::Tensor& t) { return t.device().is_cpu() ? t : t.to(at::kCPU); }
const char* DtypeName(at::ScalarType s);
std::vector<at::Tensor> TensorList(const Napi::Value& v);
c10::optional<at::Tensor> OptTensor(const Napi::CallbackInfo& info, size_t i);
bool IsHandle(const Napi::Value& v);

inline int64_t Int(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().Int64Value();
}
inline double Dbl(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().DoubleValue();
}
// A JS number as a libtorch Scalar: integral values become integer scalars, as a Python int
// would, so integer tensors stay integer (t + 1) and float tensors are unaffected.
inline at::Scalar NumScalar(double v) {
  if (v == (double)(int64_t)v && v >= -9.0e15 && v <= 9.0e15) return at::Scalar((int64_t)v);
  return at::Scalar(v);
}
inline at::Scalar NumArg(const Napi::CallbackInfo& info, size_t i) {
  return NumScalar(info[i].As<Napi::Number>().DoubleValue());
}
inline bool Bool(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Boolean>().Value();
}
inline bool Has(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull();
}

// Every export runs inside Guarded: libtorch's c10::Error and std exceptions become JS Errors
// carrying libtorch's message (without its C++ backtrace), so bad shapes never abort the process.
template <typename F>
Napi::Value Guarded(const Napi::CallbackInfo& info, F&& f) {
  Napi::Env env = info.Env();
  try {
    return f();
  } catch (const Napi::Error& e) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

#define ABSTAIN_FN(name) Napi::Value name(const Napi::CallbackInfo& info)
#define ABSTAIN_BODY(...) return Guarded(info, [&]() -> Napi::Value { __VA_ARGS__ });
#define ABSTAIN_EXPORT(exports, name, fn) exports.Set(name, Napi::Function::New(env, fn, name))

void RegisterTensors(Napi::Env env, Napi::Object exports);
void RegisterMath(Napi::Env env, Napi::Object exports);
void RegisterNN(Napi::Env env, Napi::Object exports);
void RegisterAutogradRng(Napi::Env env, Napi::Object exports);
void RegisterDevice(Napi::Env env, Napi::Object exports);
void RegisterAllocator(Napi::Env env, Napi::Object exports);
void InstallCpuAllocator();

}  // namespace abstain
