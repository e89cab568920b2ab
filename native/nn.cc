// Neural-network primitives: linear, convolutions, pooling, batch norm, softmax and losses.
#include "common.h"

namespace abstain {

static int64_t Reduction(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return at::Reduction::Mean;
  std::string r = info[i].As<Napi::String>().Utf8Value();
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw Napi::TypeError::New(info.Env(), "unknown reduction '" + r + "' (use mean, sum or none)");
}

// linear(x, w, b|null)
static ABSTAIN_FN(Linear) { ABSTAIN_BODY(return Wrap(info.Env(), at::linear(Unwrap(info[0]), Unwrap(info[1]), OptTensor(info, 2)));) }
// conv2d(x, w, b|null, stride, padding, dilation, groups)
static ABSTAIN_FN(Conv2d) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::conv2d(Unwrap(info[0]), Unwrap(info[1]), OptTensor(info, 2), IntList(info[3]),
                                                  IntList(info[4]), IntList(info[5]), Int(info, 6)));)
}
// convTranspose2d(x, w, b|null, stride, padding, outputPadding, groups, dilation)
static ABSTAIN_FN(ConvTranspose2d) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::conv_transpose2d(Unwrap(info[0]), Unwrap(info[1]), OptTensor(info, 2), IntList(info[3]),
                                                            IntList(info[4]), IntList(info[5]), Int(info, 6), IntList(info[7])));)
}
// maxPool2d(x, kernel, stride, padding)
static ABSTAIN_FN(MaxPool2d) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::max_pool2d(Unwrap(info[0]), IntList(info[1]), IntList(info[2]), IntList(info[3])));)
}
// avgPool2d(x, kernel, stride, padding)
static ABSTAIN_FN(AvgPool2d) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::avg_pool2d(Unwrap(info[0]), IntList(info[1]), IntList(info[2]), IntList(info[3])));)
}
static ABSTAIN_FN(AdaptiveAvgPool2d) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::adaptive_avg_pool2d(Unwrap(info[0]), IntList(info[1])));)
}
// batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
// In training mode libtorch updates the running statistics in place, as PyTorch does.
static ABSTAIN_FN(BatchNorm) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::batch_norm(Unwrap(info[0]), OptTensor(info, 1), OptTensor(info, 2), OptTensor(info, 3),
                                                      OptTensor(info, 4), Bool(info, 5), Dbl(info, 6), Dbl(info, 7), false));)
}
static ABSTAIN_FN(Softmax) { ABSTAIN_BODY(return Wrap(info.Env(), at::softmax(Unwrap(info[0]), Int(info, 1)));) }
static ABSTAIN_FN(LogSoftmax) { ABSTAIN_BODY(return Wrap(info.Env(), at::log_softmax(Unwrap(info[0]), Int(info, 1)));) }
// crossEntropy(logits, target, reduction, labelSmoothing): target holds class indices (int64)
// or class probabilities (float, same shape as logits).
static ABSTAIN_FN(CrossEntropy) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::cross_entropy_loss(Unwrap(info[0]), Unwrap(info[1]), c10::nullopt, Reduction(info, 2), -100,
                                                              Has(info, 3) ? Dbl(info, 3) : 0.0));)
}
static ABSTAIN_FN(NllLoss) {
  ABSTAIN_BODY(return Wrap(info.Env(), at::nll_loss(Unwrap(info[0]), Unwrap(info[1]), c10::nullopt, Reduction(info, 2)));)
}
static ABSTAIN_FN(MseLoss) { ABSTAIN_BODY(return Wrap(info.Env(), at::mse_loss(Unwrap(info[0]), Unwrap(info[1]), Reduction(info, 2)));) }

void RegisterNN(Napi::Env env, Napi::Object exports) {
  ABSTAIN_EXPORT(exports, "linear", Linear);
  ABSTAIN_EXPORT(exports, "conv2d", Conv2d);
  ABSTAIN_EXPORT(exports, "convTranspose2d", ConvTranspose2d);
  ABSTAIN_EXPORT(exports, "maxPool2d", MaxPool2d);
  ABSTAIN_EXPORT(exports, "avgPool2d", AvgPool2d);
  ABSTAIN_EXPORT(exports, "adaptiveAvgPool2d", AdaptiveAvgPool2d);
  ABSTAIN_EXPORT(exports, "batchNorm", BatchNorm);
  ABSTAIN_EXPORT(exports, "softmax", Softmax);
  ABSTAIN_EXPORT(exports, "logSoftmax", LogSoftmax);
  ABSTAIN_EXPORT(exports, "crossEntropy", CrossEntropy);
  ABSTAIN_EXPORT(exports, "nllLoss", NllLoss);
  ABSTAIN_EXPORT(exports, "mseLoss", MseLoss);
}

}  // namespace abstain
