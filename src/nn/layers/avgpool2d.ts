// AvgPool2d: the mean over each window, zero padding included in the count (PyTorch's
// count_include_pad=True), so it is one fixed linear map, easy for certifiers to bound.
import { avgPool2d, type Pair, type Tensor } from '../../tensor/index.js';
import { Pool2d, type Pool2dOptions } from './pool2d.js';

export class AvgPool2d extends Pool2d {
  constructor(kernelSize: Pair, opts: Pool2dOptions = {}) {
    super('AvgPool2d', kernelSize, opts);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding });
  }
}
