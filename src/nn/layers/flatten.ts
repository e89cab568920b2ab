// Flatten: merges dims startDim..endDim (default: all but the batch dim), as torch.nn.Flatten.
import type { Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';

export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
