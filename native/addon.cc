// Module entry point and the handle plumbing shared by every export.
#include "common.h"
#include <ATen/Parallel.h>
#include <torch/version.h>

namespace abstain {

std::atomic<int64_t> g_live{0};
const napi_type_tag kTensorTag = {0x6a1b2c3d4e5f6071ULL, 0x8192a3b4c5d6e7f8ULL};
const napi_type_tag kGenTag = {0x0f1e2d3c4b5a6978ULL, 0x8796a5b4c3d2e1f0ULL};

Napi::Value Wrap(Napi::Env env, at::Tensor t) {
  auto* h = new Holder{std::move(t), true};
  g_live++;
  auto ext = Napi::External<Holder>::New(env, h, [](Napi::Env, Holder* p) {
    if (p->alive) g_live--;
    delete p;
  });
  napi_type_tag_object(env, ext, &kTensorTag);
  return ext;
}

static Holder* HolderOf(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "expected a tensor handle");
  bool ok = false;
  napi_check_object_type_tag(v.Env(), v, &kTensorTag, &ok);
  if (!ok) throw Napi::TypeError::New(v.Env(), "expected a tensor handle");
  return v.As<Napi::External<Holder>>().Data();
}

bool IsHandle(const Napi::Value& v) {
  if (!v.IsExternal()) return false;
  bool ok = false;
  napi_check_object_type_tag(v.Env(), v, &kTensorTag, &ok);
  return ok;
}

at::Tensor& Unwrap(const Napi::Value& v) {
  Holder* h = HolderOf(v);
  if (!h->alive) throw Napi::Error::New(v.Env(), "tensor used after dispose()");
  return h->t;
}

std::vector<int64_t> IntList(const Napi::Value& v) {
  if (v.IsNumber()) return {v.As<Napi::Number>().Int64Value()};
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of integers");
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out[i] = a.Get(i).As<Napi::Number>().Int64Value();
  return out;
}

std::vector<at::Tensor> TensorList(const Napi::Value& v) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), "expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(Unwrap(a.Get(i)));
  return out;
}

c10::optional<at::Tensor> OptTensor(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return c10::nullopt;
  return Unwrap(info[i]);
}

at::ScalarType ParseDtype(const Napi::Value& v) {
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "float32") return at::kFloat;
  if (s == "float64") return at::kDouble;
  if (s == "int32") return at::kInt;
  if (s == "int64") return at::kLong;
  if (s == "uint8") return at::kByte;
  if (s == "bool") return at::kBool;
  throw Napi::TypeError::New(v.Env(), "unknown dtype '" + s + "' (use float32, float64, int32, int64, uint8 or bool)");
}

const char* DtypeName(at::ScalarType s) {
  switch (s) {
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kByte: return "uint8";
    case at::kBool: return "bool";
    default: return "unsupported";
  }
}

static ABSTAIN_FN(Dispose) {
  Holder* h = HolderOf(info[0]);
  if (h->alive) {
    h->t = at::Tensor();
    h->alive = false;
    g_live--;
  }
  return info.Env().Undefined();
}

static ABSTAIN_FN(IsDisposed) { return Napi::Boolean::New(info.Env(), !HolderOf(info[0])->alive); }
static ABSTAIN_FN(LiveCount) { return Napi::Number::New(info.Env(), (double)g_live.load()); }
static ABSTAIN_FN(SetNumThreads) {
  ABSTAIN_BODY(at::set_num_threads((int)Int(info, 0)); return info.Env().Undefined();)
}
static ABSTAIN_FN(GetNumThreads) { return Napi::Number::New(info.Env(), at::get_num_threads()); }
static ABSTAIN_FN(Version) { return Napi::String::New(info.Env(), TORCH_VERSION); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallCpuAllocator();
  ABSTAIN_EXPORT(exports, "dispose", Dispose);
  ABSTAIN_EXPORT(exports, "isDisposed", IsDisposed);
  ABSTAIN_EXPORT(exports, "liveCount", LiveCount);
  ABSTAIN_EXPORT(exports, "setNumThreads", SetNumThreads);
  ABSTAIN_EXPORT(exports, "getNumThreads", GetNumThreads);
  ABSTAIN_EXPORT(exports, "torchVersion", Version);
  RegisterTensors(env, exports);
  RegisterMath(env, exports);
  RegisterNN(env, exports);
  RegisterAutogradRng(env, exports);
  RegisterDevice(env, exports);
  RegisterAllocator(env, exports);
  return exports;
}

}  // namespace abstain

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return abstain::Init(env, exports); }
NODE_API_MODULE(abstain_native, InitAll)
