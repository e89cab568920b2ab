// Bounds through Linear: y = x·Wᵀ + b (acting on the last dimension).
import { linear as linearOp, type Tensor } from '../../tensor/index.js';
import type { Linear } from '../../nn/index.js';
import { sumTail, type BoundModule } from './types.js';

export const linear: BoundModule<Linear> = {
  kind: 'Linear',
  affine: true,
  // centre and radius: mid' = W·mid + b, rad' = |W|·rad
  interval(layer, lo, hi) {
    const mid = lo.add(hi).div(2);
    const rad = hi.sub(lo).div(2);
    const m = linearOp(mid, layer.weight, layer.bias);
    const r = linearOp(rad, layer.weight.abs());
    return [m.sub(r), m.add(r)];
  },
  // A·(Wx + b) = (A·W)·x + A·b
  backward(layer, A) {
    const bias: Tensor | null = layer.bias ? sumTail(A.matmul(layer.bias.unsqueeze(1))) : null;
    return { A: A.matmul(layer.weight), bias };
  },
};
