// Bounds through BatchNorm2d in eval mode, where it is the per-channel affine map
// y = scale·x + shift with scale = γ/√(running_var + eps), shift = β − running_mean·scale.
// In train mode it normalises with batch statistics (not a per-input map), so it is rejected.
import type { Tensor } from '../../tensor/index.js';
import type { BatchNorm2d } from '../../nn/index.js';
import type { BoundModule } from './types.js';

/** The per-channel [scale, shift] of an eval-mode BatchNorm2d. */
export function batchNormAffine(layer: BatchNorm2d): [Tensor, Tensor] {
  if (layer.training) throw new Error('bounds: BatchNorm2d is in train mode; call model.eval() before computing bounds');
  const scale = layer.weight.div(layer.runningVar.add(layer.eps).sqrt());
  const shift = layer.bias.sub(layer.runningMean.mul(scale));
  return [scale, shift];
}

export const batchNorm2d: BoundModule<BatchNorm2d> = {
  kind: 'BatchNorm2d (eval)',
  affine: true,
  interval(layer, lo, hi) {
    const [scale, shift] = batchNormAffine(layer);
    const C = scale.shape[0];
    const mid = lo.add(hi).div(2).mul(scale.reshape([1, C, 1, 1])).add(shift.reshape([1, C, 1, 1]));
    const rad = hi.sub(lo).div(2).mul(scale.abs().reshape([1, C, 1, 1]));
    return [mid.sub(rad), mid.add(rad)];
  },
  // A·(scale·x + shift) = (A·scale)·x + Σ_c shift_c·Σ_{h,w} A_c
  backward(layer, A) {
    const [scale, shift] = batchNormAffine(layer);
    const [Ba, S, C] = A.shape;
    const bias = A.reshape([Ba, S, C, -1]).sum(3).matmul(shift.unsqueeze(1)).squeeze(2);
    return { A: A.mul(scale.reshape([1, 1, C, 1, 1])), bias };
  },
};
