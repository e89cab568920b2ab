// Bounds through Conv2d. The backward pass is the transposed convolution with the same weight
// (conv_transpose2d), with output_padding chosen to restore the input size that the forward
// convolution's floor division lost.
import { conv2d as conv2dOp, convTranspose2d, type Tensor } from '../../tensor/index.js';
import type { Conv2d } from '../../nn/index.js';
import { mergeLeading, type BoundModule } from './types.js';

const options = (l: Conv2d) => ({ stride: l.stride, padding: l.padding, dilation: l.dilation, groups: l.groups });

export const conv2d: BoundModule<Conv2d> = {
  kind: 'Conv2d',
  affine: true,
  interval(layer, lo, hi) {
    const mid = lo.add(hi).div(2);
    const rad = hi.sub(lo).div(2);
    const m = conv2dOp(mid, layer.weight, layer.bias, options(layer));
    const r = conv2dOp(rad, layer.weight.abs(), null, options(layer));
    return [m.sub(r), m.add(r)];
  },
  backward(layer, A, ctx) {
    const [Ba, S, , Ho, Wo] = A.shape;
    const [Ci, Hi, Wi] = ctx.inputShape;
    const [kh, kw] = [layer.weight.shape[2], layer.weight.shape[3]];
    const covered = (n: number, i: 0 | 1, k: number) =>
      (n - 1) * layer.stride[i] - 2 * layer.padding[i] + layer.dilation[i] * (k - 1) + 1;
    const outputPadding: [number, number] = [Hi - covered(Ho, 0, kh), Wi - covered(Wo, 1, kw)];
    const At = convTranspose2d(mergeLeading(A), layer.weight, null, { ...options(layer), outputPadding });
    // A·b: sum A over H and W per channel, then weight by the bias: [Ba, S, Co]·[Co] -> [Ba, S]
    const bias: Tensor | null = layer.bias
      ? A.reshape([Ba, S, A.shape[2], Ho * Wo]).sum(3).matmul(layer.bias.unsqueeze(1)).squeeze(2)
      : null;
    return { A: At.reshape([Ba, S, Ci, Hi, Wi]), bias };
  },
};
