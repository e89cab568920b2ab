// Linear: y = x·Wᵀ + b, with PyTorch's default initialisation.
import { linear, type Generator, type Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';
import { fanIn, kaimingUniformBound, uniformParameter } from '../init.js';

export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: libtorch's global generator). */
  generator?: Generator;
}

export class Linear extends Module {
  /** [outFeatures, inFeatures] */
  readonly weight: Tensor;
  /** [outFeatures], or null */
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    const shape = [outFeatures, inFeatures];
    this.weight = uniformParameter(shape, kaimingUniformBound(fanIn(shape)), opts.generator);
    this.bias = opts.bias === false ? null : uniformParameter([outFeatures], 1 / Math.sqrt(inFeatures), opts.generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
  protected override ownParameters(): Array<[string, Tensor | null]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
}
