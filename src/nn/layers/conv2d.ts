// Conv2d over NCHW input, with PyTorch's default initialisation (fan_in = in/groups · kh · kw).
import { conv2d, isGradEnabled, type Generator, type MemoryFormat, type Pair, type Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';
import { fanIn, kaimingUniformBound, uniformParameter } from '../init.js';
import { toPair } from './pair.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: libtorch's global generator). */
  generator?: Generator;
}

export class Conv2d extends Module {
  /**
   * The memory layout of convolutions on the CPU when autograd is off (inference, certification);
   * training always uses the plain layout. 'channels-last' (NHWC in memory, same shape and
   * values) lets oneDNN skip its reorders, but on mnist-small's 1,000-sample smoothing batches
   * (libtorch 1.13, oneDNN 2.6, 1 and 2 threads) it was no faster, and the Linear after Flatten
   * then needs a copy back to NCHW order, so the default is 'contiguous'. Try 'channels-last'
   * for wide convolutional networks.
   */
  static cpuInferenceLayout: MemoryFormat = 'contiguous';

  /** [outChannels, inChannels / groups, kh, kw] */
  readonly weight: Tensor;
  /** [outChannels], or null */
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super();
    this.kernelSize = toPair(kernelSize);
    this.stride = toPair(opts.stride ?? 1);
    this.padding = toPair(opts.padding ?? 0);
    this.dilation = toPair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    const positive = { inChannels, outChannels, groups: this.groups, kernelSize: this.kernelSize, stride: this.stride, dilation: this.dilation };
    for (const [k, v] of Object.entries(positive)) {
      if (![v].flat().every((n) => Number.isInteger(n) && n >= 1)) throw new RangeError(`Conv2d: ${k} must be positive integers, got ${v}`);
    }
    if (!this.padding.every((n) => Number.isInteger(n) && n >= 0)) throw new RangeError(`Conv2d: padding must be non-negative integers, got ${this.padding}`);
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new RangeError(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must both be divisible by groups (${this.groups})`);
    }
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    const fan = fanIn(shape);
    this.weight = uniformParameter(shape, kaimingUniformBound(fan), opts.generator);
    this.bias = opts.bias === false ? null : uniformParameter([outChannels], 1 / Math.sqrt(fan), opts.generator);
  }

  forward(x: Tensor): Tensor {
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    if (Conv2d.cpuInferenceLayout === 'channels-last' && x.rank === 4 && !isGradEnabled() && x.device === 'cpu') {
      const xl = x.contiguous('channels-last');
      const wl = this.weight.contiguous('channels-last');
      try {
        return conv2d(xl, wl, this.bias, o);
      } finally {
        xl.dispose(); // handles only: the data lives on in the result
        wl.dispose();
      }
    }
    return conv2d(x, this.weight, this.bias, o);
  }
  /** The output [C, H, W] for an input [C, H, W] (PyTorch's floor formula). */
  outputShape([c, h, w]: readonly number[]): [number, number, number] {
    if (c !== this.inChannels) throw new RangeError(`Conv2d: input has ${c} channels, layer expects ${this.inChannels}`);
    const out = (n: number, i: 0 | 1) =>
      Math.floor((n + 2 * this.padding[i] - this.dilation[i] * (this.kernelSize[i] - 1) - 1) / this.stride[i]) + 1;
    return [this.outChannels, out(h, 0), out(w, 1)];
  }
  protected override ownParameters(): Array<[string, Tensor | null]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
}
