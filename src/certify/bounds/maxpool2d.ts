// Bounds through MaxPool2d: monotone, so intervals map endpoint to endpoint. No CROWN
// relaxation is implemented (the registry reports a clear error for CROWN).
import { maxPool2d as maxPoolOp } from '../../tensor/index.js';
import type { MaxPool2d } from '../../nn/index.js';
import type { BoundModule } from './types.js';

export const maxPool2d: BoundModule<MaxPool2d> = {
  kind: 'MaxPool2d',
  affine: false,
  interval(layer, lo, hi) {
    const o = { stride: layer.stride, padding: layer.padding };
    return [maxPoolOp(lo, layer.kernelSize, o), maxPoolOp(hi, layer.kernelSize, o)];
  },
};
