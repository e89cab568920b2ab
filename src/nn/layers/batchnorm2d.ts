// BatchNorm2d as torch.nn.BatchNorm2d: train mode normalises with the batch statistics and
// updates the running ones (biased variance to normalise, unbiased into running_var); eval mode
// normalises with the running statistics.
import { batchNorm, keep, ones, scalar, zeros, type Tensor } from '../../tensor/index.js';
import { Module } from '../module.js';
import { constantParameter } from '../init.js';

export interface BatchNorm2dOptions {
  eps?: number;
  /** Weight of the new batch in the running averages (default 0.1); null: cumulative average. */
  momentum?: number | null;
}

export class BatchNorm2d extends Module {
  /** [numFeatures] (γ) */
  readonly weight: Tensor;
  /** [numFeatures] (β) */
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /** int64 scalar, as PyTorch's num_batches_tracked */
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  readonly momentum: number | null;

  constructor(readonly numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new RangeError(`BatchNorm2d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.weight = constantParameter([numFeatures], 1);
    this.bias = constantParameter([numFeatures], 0);
    this.runningMean = keep(zeros([numFeatures]));
    this.runningVar = keep(ones([numFeatures]));
    this.numBatchesTracked = keep(scalar(0, 'int64'));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4) throw new RangeError(`BatchNorm2d: expects NCHW input, got shape [${x.shape.join(',')}]`);
    let momentum = this.momentum ?? 0;
    if (this.training) {
      const [n, , h, w] = x.shape;
      if (n * h * w < 2) throw new RangeError(`BatchNorm2d: train mode needs more than 1 value per channel, got input [${x.shape.join(',')}]; use a larger batch or eval()`);
      // counted on the tensor's device; read back (a GPU sync) only for the cumulative average
      this.numBatchesTracked.add_(1);
      if (this.momentum === null) momentum = 1 / this.numBatchesTracked.item();
    }
    return batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: this.training,
      momentum,
      eps: this.eps,
    });
  }
  protected override ownParameters(): Array<[string, Tensor | null]> {
    return [['weight', this.weight], ['bias', this.bias]];
  }
  protected override ownBuffers(): Array<[string, Tensor]> {
    return [['running_mean', this.runningMean], ['running_var', this.runningVar], ['num_batches_tracked', this.numBatchesTracked]];
  }
}
