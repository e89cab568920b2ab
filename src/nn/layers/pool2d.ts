// The shared shape of MaxPool2d and AvgPool2d: kernel, stride (defaults to the kernel, as in
// PyTorch) and zero padding, floor mode.
import type { Pair } from '../../tensor/index.js';
import { Module } from '../module.js';
import { toPair } from './pair.js';

export interface Pool2dOptions {
  stride?: Pair;
  padding?: Pair;
}

export abstract class Pool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  constructor(kind: string, kernelSize: Pair, opts: Pool2dOptions) {
    super();
    this.kernelSize = toPair(kernelSize);
    this.stride = toPair(opts.stride ?? kernelSize);
    this.padding = toPair(opts.padding ?? 0);
    if (![...this.kernelSize, ...this.stride].every((n) => Number.isInteger(n) && n >= 1)) {
      throw new RangeError(`${kind}: kernelSize and stride must be positive integers, got [${this.kernelSize}] and [${this.stride}]`);
    }
    this.padding.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || 2 * p > this.kernelSize[i]) {
        throw new RangeError(`${kind}: padding must be between 0 and half the kernel size, got [${this.padding}] for kernel [${this.kernelSize}]`);
      }
    });
  }
  /** The output [C, H, W] for an input [C, H, W] (floor mode). */
  outputShape([c, h, w]: readonly number[]): [number, number, number] {
    const out = (n: number, i: 0 | 1) => Math.floor((n + 2 * this.padding[i] - this.kernelSize[i]) / this.stride[i]) + 1;
    return [c, out(h, 0), out(w, 1)];
  }
}
