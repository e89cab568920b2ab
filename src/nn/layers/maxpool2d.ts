// MaxPool2d: the maximum over each window (padding counts as -∞).
import { maxPool2d, type Pair, type Tensor } from '../../tensor/index.js';
import { Pool2d, type Pool2dOptions } from './pool2d.js';

export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Pair, opts: Pool2dOptions = {}) {
    super('MaxPool2d', kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}
