// Bounds through Flatten: a reshape, so intervals reshape and coefficients reshape back.
import type { Flatten } from '../../nn/index.js';
import type { BoundModule } from './types.js';

function checkDims(layer: Flatten): void {
  if (layer.startDim === 0) throw new RangeError('bounds: Flatten with startDim 0 would merge the batch dimension (use startDim >= 1)');
}

export const flatten: BoundModule<Flatten> = {
  kind: 'Flatten',
  affine: true,
  interval(layer, lo, hi) {
    checkDims(layer);
    return [layer.forward(lo), layer.forward(hi)];
  },
  backward(layer, A, ctx) {
    checkDims(layer);
    return { A: A.reshape([A.shape[0], A.shape[1], ...ctx.inputShape]), bias: null };
  },
};
