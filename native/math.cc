// Elementwise math with broadcasting, comparisons, reductions, matmul and in-place updates.
#include "common.h"

namespace abstain {

#define UNARY(Name, expr) \
  static ABSTAIN_FN(Name) { ABSTAIN_BODY(auto& a = Unwrap(info[0]); return Wrap(info.Env(), expr);) }

UNARY(Neg, at::neg(a))
UNARY(Exp, at::exp(a))
UNARY(Log, at::log(a))
UNARY(Relu, at::relu(a))
UNARY(Sigmoid, at::sigmoid(a))
UNARY(Tanh, at::tanh(a))
UNARY(Abs, at::abs(a))
UNARY(Sqrt, at::sqrt(a))
UNARY(Square, at::square(a))
UNARY(Sign, at::sign(a))
UNARY(Floor, at::floor(a))
UNARY(Round, at::round(a))
UNARY(LogicalNot, at::logical_not(a))
UNARY(Isfinite, at::isfinite(a))

// Binary ops take (tensor, tensor) with broadcasting or (tensor, number).
#define BINARY(Name, fn)                                                                    \
  static ABSTAIN_FN(Name) {                                                                 \
    ABSTAIN_BODY(                                                                           \
      auto& a = Unwrap(info[0]);                                                            \
      if (info[1].IsNumber()) return Wrap(info.Env(), fn(a, NumArg(info, 1)));    \
      return Wrap(info.Env(), fn(a, Unwrap(info[1])));                                      \
    )                                                                                       \
  }

BINARY(Add, at::add)
BINARY(Sub, at::sub)
BINARY(Mul, at::mul)
BINARY(Div, at::div)
BINARY(Pow, at::pow)
BINARY(Eq, at::eq)
BINARY(Ne, at::ne)
BINARY(Lt, at::lt)
BINARY(Le, at::le)
BINARY(Gt, at::gt)
BINARY(Ge, at::ge)
BINARY(Remainder, at::remainder)

#define BINARY_T(Name, fn) \
  static ABSTAIN_FN(Name) { ABSTAIN_BODY(return Wrap(info.Env(), fn(Unwrap(info[0]), Unwrap(info[1])));) }
BINARY_T(Maximum, at::maximum)
BINARY_T(Minimum, at::minimum)
BINARY_T(LogicalAnd, at::logical_and)
BINARY_T(LogicalOr, at::logical_or)
BINARY_T(Matmul, at::matmul)

// clamp(t, min|null, max|null) with numbers, or clampTensor(t, lo|null, hi|null) with tensors.
static ABSTAIN_FN(Clamp) {
  ABSTAIN_BODY(
    c10::optional<at::Scalar> lo, hi;
    if (Has(info, 1)) lo = at::Scalar(Dbl(info, 1));
    if (Has(info, 2)) hi = at::Scalar(Dbl(info, 2));
    return Wrap(info.Env(), at::clamp(Unwrap(info[0]), lo, hi));
  )
}
static ABSTAIN_FN(ClampTensor) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::clamp(Unwrap(info[0]), OptTensor(info, 1), OptTensor(info, 2)));)
}

// Reductions: dims undefined/null means all dimensions.
#define REDUCE(Name, fn)                                                                          \
  static ABSTAIN_FN(Name) {                                                                       \
    ABSTAIN_BODY(auto& a = Unwrap(info[0]);                                                       \
                 if (!Has(info, 1)) return Wrap(info.Env(), fn(a));                               \
                 return Wrap(info.Env(), fn(a, IntList(info[1]), Has(info, 2) && Bool(info, 2)));) \
  }
REDUCE(Sum, at::sum)
REDUCE(Mean, at::mean)
static ABSTAIN_FN(Amax) {
  ABSTAIN_BODY(auto& a = Unwrap(info[0]);
               if (!Has(info, 1)) return Wrap(info.Env(), at::max(a));
               return Wrap(info.Env(), at::amax(a, IntList(info[1]), Has(info, 2) && Bool(info, 2)));)
}
static ABSTAIN_FN(Amin) {
  ABSTAIN_BODY(auto& a = Unwrap(info[0]);
               if (!Has(info, 1)) return Wrap(info.Env(), at::min(a));
               return Wrap(info.Env(), at::amin(a, IntList(info[1]), Has(info, 2) && Bool(info, 2)));)
}
static ABSTAIN_FN(Logsumexp) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::logsumexp(Unwrap(info[0]), IntList(info[1]), Has(info, 2) && Bool(info, 2)));)
}
static ABSTAIN_FN(Argmax) {
  ABSTAIN_BODY(auto& a = Unwrap(info[0]);
               if (!Has(info, 1)) return Wrap(info.Env(), at::argmax(a));
               return Wrap(info.Env(), at::argmax(a, Int(info, 1), Has(info, 2) && Bool(info, 2)));)
}
static ABSTAIN_FN(Argmin) {
  ABSTAIN_BODY(auto& a = Unwrap(info[0]);
               if (!Has(info, 1)) return Wrap(info.Env(), at::argmin(a));
               return Wrap(info.Env(), at::argmin(a, Int(info, 1), Has(info, 2) && Bool(info, 2)));)
}
// norm(t, p, dims|null, keepdim)
static ABSTAIN_FN(Norm) {
  ABSTAIN_BODY(auto& a = Unwrap(info[0]);
               at::Scalar p(Dbl(info, 1));
               if (!Has(info, 2)) return Wrap(info.Env(), at::norm(a, p));
               return Wrap(info.Env(), at::norm(a, p, IntList(info[2]), Has(info, 3) && Bool(info, 3)));)
}
static ABSTAIN_FN(Cumsum) { ABSTAIN_BODY(return Wrap(info.Env(), at::cumsum(Unwrap(info[0]), Int(info, 1)));) }
static ABSTAIN_FN(AllClose) {
  ABSTAIN_BODY(return Napi::Boolean::New(info.Env(), at::allclose(Unwrap(info[0]), Unwrap(info[1]), Dbl(info, 2), Dbl(info, 3)));)
}
static ABSTAIN_FN(Equal) { ABSTAIN_BODY(return Napi::Boolean::New(info.Env(), at::equal(Unwrap(info[0]), Unwrap(info[1])));) }

// In-place updates (used by optimizers under noGrad). They return nothing: the handle is unchanged.
#define INPLACE(Name, ...) \
  static ABSTAIN_FN(Name) { ABSTAIN_BODY(auto& a = Unwrap(info[0]); __VA_ARGS__; return info.Env().Undefined();) }
INPLACE(AddInplace, {
  at::Scalar alpha = Has(info, 2) ? NumArg(info, 2) : at::Scalar((int64_t)1);
  if (info[1].IsNumber()) a.add_(NumArg(info, 1), alpha); else a.add_(Unwrap(info[1]), alpha);
})
INPLACE(MulInplace, { if (info[1].IsNumber()) a.mul_(NumArg(info, 1)); else a.mul_(Unwrap(info[1])); })
INPLACE(DivInplace, { if (info[1].IsNumber()) a.div_(at::Scalar(Dbl(info, 1))); else a.div_(Unwrap(info[1])); })
INPLACE(AddcmulInplace, a.addcmul_(Unwrap(info[1]), Unwrap(info[2]), at::Scalar(Dbl(info, 3))))
INPLACE(AddcdivInplace, a.addcdiv_(Unwrap(info[1]), Unwrap(info[2]), at::Scalar(Dbl(info, 3))))
INPLACE(CopyInplace, a.copy_(Unwrap(info[1])))
INPLACE(ZeroInplace, a.zero_())
INPLACE(FillInplace, a.fill_(NumArg(info, 1)))
INPLACE(SqrtInplace, a.sqrt_())
INPLACE(ReluInplace, a.relu_())
INPLACE(ClampInplace, {
  c10::optional<at::Scalar> lo, hi;
  if (Has(info, 1)) lo = at::Scalar(Dbl(info, 1));
  if (Has(info, 2)) hi = at::Scalar(Dbl(info, 2));
  a.clamp_(lo, hi);
})
INPLACE(IndexPutInplace, a.index_put_({Unwrap(info[1])}, Unwrap(info[2])))

void RegisterMath(Napi::Env env, Napi::Object exports) {
  ABSTAIN_EXPORT(exports, "neg", Neg);
  ABSTAIN_EXPORT(exports, "exp", Exp);
  ABSTAIN_EXPORT(exports, "log", Log);
  ABSTAIN_EXPORT(exports, "relu", Relu);
  ABSTAIN_EXPORT(exports, "sigmoid", Sigmoid);
  ABSTAIN_EXPORT(exports, "tanh", Tanh);
  ABSTAIN_EXPORT(exports, "abs", Abs);
  ABSTAIN_EXPORT(exports, "sqrt", Sqrt);
  ABSTAIN_EXPORT(exports, "square", Square);
  ABSTAIN_EXPORT(exports, "sign", Sign);
  ABSTAIN_EXPORT(exports, "floor", Floor);
  ABSTAIN_EXPORT(exports, "round", Round);
  ABSTAIN_EXPORT(exports, "logicalNot", LogicalNot);
  ABSTAIN_EXPORT(exports, "isfinite", Isfinite);
  ABSTAIN_EXPORT(exports, "add", Add);
  ABSTAIN_EXPORT(exports, "sub", Sub);
  ABSTAIN_EXPORT(exports, "mul", Mul);
  ABSTAIN_EXPORT(exports, "div", Div);
  ABSTAIN_EXPORT(exports, "pow", Pow);
  ABSTAIN_EXPORT(exports, "eq", Eq);
  ABSTAIN_EXPORT(exports, "ne", Ne);
  ABSTAIN_EXPORT(exports, "lt", Lt);
  ABSTAIN_EXPORT(exports, "le", Le);
  ABSTAIN_EXPORT(exports, "gt", Gt);
  ABSTAIN_EXPORT(exports, "ge", Ge);
  ABSTAIN_EXPORT(exports, "remainder", Remainder);
  ABSTAIN_EXPORT(exports, "maximum", Maximum);
  ABSTAIN_EXPORT(exports, "minimum", Minimum);
  ABSTAIN_EXPORT(exports, "logicalAnd", LogicalAnd);
  ABSTAIN_EXPORT(exports, "logicalOr", LogicalOr);
  ABSTAIN_EXPORT(exports, "matmul", Matmul);
  ABSTAIN_EXPORT(exports, "clamp", Clamp);
  ABSTAIN_EXPORT(exports, "clampTensor", ClampTensor);
  ABSTAIN_EXPORT(exports, "sum", Sum);
  ABSTAIN_EXPORT(exports, "mean", Mean);
  ABSTAIN_EXPORT(exports, "amax", Amax);
  ABSTAIN_EXPORT(exports, "amin", Amin);
  ABSTAIN_EXPORT(exports, "logsumexp", Logsumexp);
  ABSTAIN_EXPORT(exports, "argmax", Argmax);
  ABSTAIN_EXPORT(exports, "argmin", Argmin);
  ABSTAIN_EXPORT(exports, "norm", Norm);
  ABSTAIN_EXPORT(exports, "cumsum", Cumsum);
  ABSTAIN_EXPORT(exports, "allclose", AllClose);
  ABSTAIN_EXPORT(exports, "equal", Equal);
  ABSTAIN_EXPORT(exports, "add_", AddInplace);
  ABSTAIN_EXPORT(exports, "mul_", MulInplace);
  ABSTAIN_EXPORT(exports, "div_", DivInplace);
  ABSTAIN_EXPORT(exports, "addcmul_", AddcmulInplace);
  ABSTAIN_EXPORT(exports, "addcdiv_", AddcdivInplace);
  ABSTAIN_EXPORT(exports, "copy_", CopyInplace);
  ABSTAIN_EXPORT(exports, "zero_", ZeroInplace);
  ABSTAIN_EXPORT(exports, "fill_", FillInplace);
  ABSTAIN_EXPORT(exports, "sqrt_", SqrtInplace);
  ABSTAIN_EXPORT(exports, "relu_", ReluInplace);
  ABSTAIN_EXPORT(exports, "clamp_", ClampInplace);
  ABSTAIN_EXPORT(exports, "indexPut_", IndexPutInplace);
}

}  // namespace abstain
