// Bounds through AvgPool2d (zero padding counted, floor mode): a depthwise convolution with a
// constant kernel 1/(kh·kw), so monotone (intervals map endpoint to endpoint) and linear (the
// backward pass is its transposed convolution).
import { avgPool2d as avgPoolOp, convTranspose2d, full } from '../../tensor/index.js';
import type { AvgPool2d } from '../../nn/index.js';
import { mergeLeading, type BoundModule } from './types.js';

export const avgPool2d: BoundModule<AvgPool2d> = {
  kind: 'AvgPool2d',
  affine: true,
  interval(layer, lo, hi) {
    const o = { stride: layer.stride, padding: layer.padding };
    return [avgPoolOp(lo, layer.kernelSize, o), avgPoolOp(hi, layer.kernelSize, o)];
  },
  backward(layer, A, ctx) {
    const [Ba, S, C, Ho, Wo] = A.shape;
    const [, Hi, Wi] = ctx.inputShape;
    const [kh, kw] = layer.kernelSize;
    const weight = full([C, 1, kh, kw], 1 / (kh * kw), 'float32', A.device);
    const covered = (n: number, i: 0 | 1, k: number) => (n - 1) * layer.stride[i] - 2 * layer.padding[i] + k;
    const At = convTranspose2d(mergeLeading(A), weight, null, {
      stride: layer.stride,
      padding: layer.padding,
      groups: C,
      outputPadding: [Hi - covered(Ho, 0, kh), Wi - covered(Wo, 1, kw)],
    });
    return { A: At.reshape([Ba, S, C, Hi, Wi]), bias: null };
  },
};
