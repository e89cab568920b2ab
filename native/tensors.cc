// Tensor creation, data in and out, metadata, dtype casts and shape/indexing ops.
#include "common.h"
#include <cstring>

namespace abstain {

// The dtype at argument i and the device at i + 1.
static at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t i, at::ScalarType def = at::kFloat) {
  return at::TensorOptions().dtype(Has(info, i) ? ParseDtype(info[i]) : def).device(DeviceArg(info, i + 1));
}

// "contiguous" (row-major, NCHW for images) or "channels-last" (NHWC in memory, same shape).
static at::MemoryFormat ParseMemoryFormat(const Napi::Value& v) {
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "contiguous") return at::MemoryFormat::Contiguous;
  if (s == "channels-last") return at::MemoryFormat::ChannelsLast;
  throw Napi::TypeError::New(v.Env(), "unknown memory format '" + s + "' (use contiguous or channels-last)");
}

static Napi::Value Pair(Napi::Env env, std::tuple<at::Tensor, at::Tensor> r) {
  auto a = Napi::Array::New(env, 2);
  a.Set(0u, Wrap(env, std::get<0>(r)));
  a.Set(1u, Wrap(env, std::get<1>(r)));
  return a;
}

// fromBuffer(typedArray, shape, dtype, device|null): copies the typed array's bytes into a new
// tensor (through the CPU when the device is another one).
static ABSTAIN_FN(FromBuffer) {
  ABSTAIN_BODY(
    auto ta = info[0].As<Napi::TypedArray>();
    auto shape = IntList(info[1]);
    at::ScalarType dt = ParseDtype(info[2]);
    auto t = at::empty(shape, at::TensorOptions().dtype(dt));
    size_t bytes = (size_t)t.numel() * t.element_size();
    if (ta.ByteLength() != bytes)
      throw Napi::Error::New(info.Env(), "fromBuffer: buffer holds " + std::to_string(ta.ByteLength()) +
                                             " bytes but shape needs " + std::to_string(bytes));
    auto ab = ta.ArrayBuffer();
    if (bytes) std::memcpy(t.data_ptr(), static_cast<uint8_t*>(ab.Data()) + ta.ByteOffset(), bytes);
    at::Device device = DeviceArg(info, 3);
    return Wrap(info.Env(), device.is_cpu() ? t : t.to(device));
  )
}

// toBuffer(t): a copy of the tensor's elements (contiguous, row-major) as an ArrayBuffer, read
// through the CPU whatever the tensor's device.
static ABSTAIN_FN(ToBuffer) {
  ABSTAIN_BODY(
    auto t = OnCpu(Unwrap(info[0]).detach()).contiguous();
    size_t bytes = (size_t)t.numel() * t.element_size();
    auto ab = Napi::ArrayBuffer::New(info.Env(), bytes);
    if (bytes) std::memcpy(ab.Data(), t.data_ptr(), bytes);
    return ab;
  )
}

static ABSTAIN_FN(Shape) {
  ABSTAIN_BODY(
    auto& t = Unwrap(info[0]);
    auto a = Napi::Array::New(info.Env(), t.dim());
    for (int64_t i = 0; i < t.dim(); i++) a.Set((uint32_t)i, Napi::Number::New(info.Env(), (double)t.size(i)));
    return a;
  )
}
static ABSTAIN_FN(Dtype) { ABSTAIN_BODY(return Napi::String::New(info.Env(), DtypeName(Unwrap(info[0]).scalar_type()));) }
static ABSTAIN_FN(Item) {
  ABSTAIN_BODY(
    auto t = OnCpu(Unwrap(info[0]));
    if (t.scalar_type() == at::kBool) return Napi::Boolean::New(info.Env(), t.item<bool>());
    return Napi::Number::New(info.Env(), t.item<double>());
  )
}

static ABSTAIN_FN(Zeros) { ABSTAIN_BODY(return Wrap(info.Env(), at::zeros(IntList(info[0]), Opts(info, 1)));) }
static ABSTAIN_FN(Ones) { ABSTAIN_BODY(return Wrap(info.Env(), at::ones(IntList(info[0]), Opts(info, 1)));) }
static ABSTAIN_FN(Full) { ABSTAIN_BODY(return Wrap(info.Env(), at::full(IntList(info[0]), Dbl(info, 1), Opts(info, 2)));) }
// arange(start, end, step, dtype, device|null)
static ABSTAIN_FN(Arange) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::arange(Dbl(info, 0), Dbl(info, 1), Dbl(info, 2), Opts(info, 3)));)
}
static ABSTAIN_FN(Eye) { ABSTAIN_BODY(return Wrap(info.Env(), at::eye(Int(info, 0), Opts(info, 1)));) }
static ABSTAIN_FN(ZerosLike) { ABSTAIN_BODY(return Wrap(info.Env(), at::zeros_like(Unwrap(info[0])));) }
static ABSTAIN_FN(OnesLike) { ABSTAIN_BODY(return Wrap(info.Env(), at::ones_like(Unwrap(info[0])));) }

static ABSTAIN_FN(To) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).to(ParseDtype(info[1])));) }
static ABSTAIN_FN(Clone) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).clone());) }
// contiguous(t, format|null): t itself (a new handle) when already laid out so, else a copy.
static ABSTAIN_FN(Contiguous) {
  ABSTAIN_BODY(
    auto fmt = Has(info, 1) ? ParseMemoryFormat(info[1]) : at::MemoryFormat::Contiguous;
    return Wrap(info.Env(), Unwrap(info[0]).contiguous(fmt));
  )
}
static ABSTAIN_FN(IsContiguous) {
  ABSTAIN_BODY(
    auto fmt = Has(info, 1) ? ParseMemoryFormat(info[1]) : at::MemoryFormat::Contiguous;
    return Napi::Boolean::New(info.Env(), Unwrap(info[0]).is_contiguous(fmt));
  )
}
static ABSTAIN_FN(Reshape) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).reshape(IntList(info[1])));) }
static ABSTAIN_FN(Permute) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).permute(IntList(info[1])));) }
static ABSTAIN_FN(Transpose) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).transpose(Int(info, 1), Int(info, 2)));) }
static ABSTAIN_FN(Expand) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).expand(IntList(info[1])));) }
static ABSTAIN_FN(Repeat) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).repeat(IntList(info[1])));) }
static ABSTAIN_FN(Squeeze) {
  ABSTAIN_BODY(return Wrap(info.Env(), Has(info, 1) ? Unwrap(info[0]).squeeze(Int(info, 1)) : Unwrap(info[0]).squeeze());)
}
static ABSTAIN_FN(Unsqueeze) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).unsqueeze(Int(info, 1)));) }
static ABSTAIN_FN(Flatten) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).flatten(Int(info, 1), Int(info, 2)));) }
static ABSTAIN_FN(Flip) { ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).flip(IntList(info[1])));) }
static ABSTAIN_FN(Cat) { ABSTAIN_BODY(return Wrap(info.Env(), at::cat(TensorList(info[0]), Int(info, 1)));) }
static ABSTAIN_FN(Stack) { ABSTAIN_BODY(return Wrap(info.Env(), at::stack(TensorList(info[0]), Int(info, 1)));) }
// slice(t, dim, start, end, step): a view, like Python's t[start:end:step] along dim.
static ABSTAIN_FN(Slice) {
  ABSTAIN_BODY(return Wrap(info.Env(), Unwrap(info[0]).slice(Int(info, 1), Int(info, 2), Int(info, 3), Int(info, 4)));)
}
static ABSTAIN_FN(IndexSelect) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::index_select(Unwrap(info[0]), Int(info, 1), Unwrap(info[2])));)
}
static ABSTAIN_FN(Gather) { ABSTAIN_BODY(return Wrap(info.Env(), at::gather(Unwrap(info[0]), Int(info, 1), Unwrap(info[2])));) }
static ABSTAIN_FN(Scatter) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::scatter(Unwrap(info[0]), Int(info, 1), Unwrap(info[2]), Unwrap(info[3])));)
}
// scatterAdd(t, dim, index, src): out-of-place; entries of src with the same index are summed (the adjoint of gather).
static ABSTAIN_FN(ScatterAdd) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::scatter_add(Unwrap(info[0]), Int(info, 1), Unwrap(info[2]), Unwrap(info[3])));)
}
static ABSTAIN_FN(MaskedSelect) { ABSTAIN_BODY(return Wrap(info.Env(), at::masked_select(Unwrap(info[0]), Unwrap(info[1])));) }
static ABSTAIN_FN(MaskedFill) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::masked_fill(Unwrap(info[0]), Unwrap(info[1]), Dbl(info, 2)));)
}
static ABSTAIN_FN(Where) { ABSTAIN_BODY(return Wrap(info.Env(), at::where(Unwrap(info[0]), Unwrap(info[1]), Unwrap(info[2])));) }
static ABSTAIN_FN(Nonzero) { ABSTAIN_BODY(return Wrap(info.Env(), at::nonzero(Unwrap(info[0])));) }
static ABSTAIN_FN(OneHot) { ABSTAIN_BODY(return Wrap(info.Env(), at::one_hot(Unwrap(info[0]), Int(info, 1)));) }
static ABSTAIN_FN(Bincount) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::bincount(Unwrap(info[0]), OptTensor(info, 2), Int(info, 1)));)
}
// topk(t, k, dim, largest) -> [values, indices]
static ABSTAIN_FN(Topk) { ABSTAIN_BODY(return Pair(info.Env(), at::topk(Unwrap(info[0]), Int(info, 1), Int(info, 2), Bool(info, 3), true));) }
// sort(t, dim, descending) -> [values, indices]
static ABSTAIN_FN(Sort) { ABSTAIN_BODY(return Pair(info.Env(), at::sort(Unwrap(info[0]), Int(info, 1), Bool(info, 2)));) }

void RegisterTensors(Napi::Env env, Napi::Object exports) {
  ABSTAIN_EXPORT(exports, "fromBuffer", FromBuffer);
  ABSTAIN_EXPORT(exports, "toBuffer", ToBuffer);
  ABSTAIN_EXPORT(exports, "shape", Shape);
  ABSTAIN_EXPORT(exports, "dtype", Dtype);
  ABSTAIN_EXPORT(exports, "item", Item);
  ABSTAIN_EXPORT(exports, "zeros", Zeros);
  ABSTAIN_EXPORT(exports, "ones", Ones);
  ABSTAIN_EXPORT(exports, "full", Full);
  ABSTAIN_EXPORT(exports, "arange", Arange);
  ABSTAIN_EXPORT(exports, "eye", Eye);
  ABSTAIN_EXPORT(exports, "zerosLike", ZerosLike);
  ABSTAIN_EXPORT(exports, "onesLike", OnesLike);
  ABSTAIN_EXPORT(exports, "to", To);
  ABSTAIN_EXPORT(exports, "clone", Clone);
  ABSTAIN_EXPORT(exports, "contiguous", Contiguous);
  ABSTAIN_EXPORT(exports, "isContiguous", IsContiguous);
  ABSTAIN_EXPORT(exports, "reshape", Reshape);
  ABSTAIN_EXPORT(exports, "permute", Permute);
  ABSTAIN_EXPORT(exports, "transpose", Transpose);
  ABSTAIN_EXPORT(exports, "expand", Expand);
  ABSTAIN_EXPORT(exports, "repeat", Repeat);
  ABSTAIN_EXPORT(exports, "squeeze", Squeeze);
  ABSTAIN_EXPORT(exports, "unsqueeze", Unsqueeze);
  ABSTAIN_EXPORT(exports, "flatten", Flatten);
  ABSTAIN_EXPORT(exports, "flip", Flip);
  ABSTAIN_EXPORT(exports, "cat", Cat);
  ABSTAIN_EXPORT(exports, "stack", Stack);
  ABSTAIN_EXPORT(exports, "slice", Slice);
  ABSTAIN_EXPORT(exports, "indexSelect", IndexSelect);
  ABSTAIN_EXPORT(exports, "gather", Gather);
  ABSTAIN_EXPORT(exports, "scatter", Scatter);
  ABSTAIN_EXPORT(exports, "scatterAdd", ScatterAdd);
  ABSTAIN_EXPORT(exports, "maskedSelect", MaskedSelect);
  ABSTAIN_EXPORT(exports, "maskedFill", MaskedFill);
  ABSTAIN_EXPORT(exports, "where", Where);
  ABSTAIN_EXPORT(exports, "nonzero", Nonzero);
  ABSTAIN_EXPORT(exports, "oneHot", OneHot);
  ABSTAIN_EXPORT(exports, "bincount", Bincount);
  ABSTAIN_EXPORT(exports, "topk", Topk);
  ABSTAIN_EXPORT(exports, "sort", Sort);
}

}  // namespace abstain
