// Fine-Pruning (Liu, Dolan-Gavitt & Garg, "Fine-Pruning: Defending Against Backdooring Attacks on
// Deep Neural Networks", RAID 2018), an after-training repair.
//
// Backdoor behaviour tends to live in neurons that clean inputs leave dormant. So: measure each
// channel of the last convolutional layer's (post-ReLU) output on clean held-out data, prune
// channels in increasing order of mean activation while clean accuracy stays within
// `maxAccuracyDrop` of the unpruned model's (or prune a fixed share, `pruneRate`), then fine-tune
// the pruned model on the clean data with the victim's objective, keeping pruned channels at 0.
// A pruned channel has its filter and bias set to 0, so its ReLU output is exactly 0.
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { noGrad, tensor, tidy, type Tensor } from '../tensor/index.js';
import { evaluateAccuracy, gatherBatch, type Objective } from '../train/index.js';
import { fit } from './fit.js';
import { forwardUntil, lastConv } from './features.js';
import type { RepairResult } from './types.js';
import type { ModelDefense } from './engine.js';
import { DefenseError } from './errors.js';

export interface FinePruningOptions {
  /** Stop pruning before clean accuracy falls more than this below the unpruned model's. Default 0.04. */
  maxAccuracyDrop?: number;
  /** Prune exactly this share of the channels instead (0..1); overrides maxAccuracyDrop. */
  pruneRate?: number;
  /** Fine-tuning epochs on the clean data after pruning. Default 2. */
  fineTuneEpochs?: number;
  /** Fine-tuning learning rate (Adam). Default 1e-4. */
  lr?: number;
  batchSize?: number;
  /** The victim's objective (e.g. Gaussian noise for smoothing). */
  objective: Objective;
  seed?: number;
}

export const FINE_PRUNING_DEFAULTS = { maxAccuracyDrop: 0.04, fineTuneEpochs: 2, lr: 1e-4, batchSize: 128, seed: 0 } as const;

/** Mean post-ReLU activation of each channel of the last conv layer on the data. */
export function channelActivations(model: Module, data: Dataset, batchSize = 1000): Float64Array {
  const { model: seq, index, conv } = lastConv(model);
  const sums = new Float64Array(conv.outChannels);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < data.length; s += batchSize) {
        const idx = Array.from({ length: Math.min(batchSize, data.length - s) }, (_, i) => s + i);
        const m = tidy(() => forwardUntil(seq, index + 1, gatherBatch(data, idx, model.device).x).relu().sum([0, 2, 3]).toFloat32Array());
        m.forEach((v, c) => (sums[c] += v));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return sums.map((v) => v / Math.max(1, data.length));
}

/** Zeroes the given output channels of the last conv layer (in place). */
export function pruneChannels(model: Module, channels: Iterable<number>): void {
  const { conv } = lastConv(model);
  const mask = new Float32Array(conv.outChannels).fill(1);
  for (const c of channels) mask[c] = 0;
  noGrad(() =>
    tidy(() => {
      const m = tensor(mask, [conv.outChannels], undefined, conv.weight.device);
      conv.weight.mul_(m.reshape([conv.outChannels, 1, 1, 1]));
      conv.bias?.mul_(m);
    }),
  );
}

export interface FinePruningResult extends RepairResult {
  pruned: number[];
  accuracyBefore: number;
  accuracyPruned: number;
  accuracyAfter: number;
}

export async function finePrune(model: Module, clean: Dataset, o: FinePruningOptions): Promise<FinePruningResult> {
  const t0 = Date.now();
  const opt = { ...FINE_PRUNING_DEFAULTS, ...o };
  if (!(opt.maxAccuracyDrop >= 0 && opt.maxAccuracyDrop < 1)) throw new RangeError(`fine-pruning: maxAccuracyDrop ${opt.maxAccuracyDrop} must be in [0, 1)`);
  if (o.pruneRate !== undefined && !(o.pruneRate >= 0 && o.pruneRate < 1)) throw new RangeError(`fine-pruning: pruneRate ${o.pruneRate} must be in [0, 1)`);
  if (clean.length === 0) throw new RangeError('fine-pruning: needs clean held-out data (got none)');
  const { conv } = lastConv(model);
  const activation = channelActivations(model, clean);
  const order = Array.from(activation.keys()).sort((a, b) => activation[a] - activation[b] || a - b);
  const accuracyBefore = evaluateAccuracy(model, clean);
  const snapshot = (): Tensor[] => noGrad(() => [conv.weight.clone(), ...(conv.bias ? [conv.bias.clone()] : [])]);
  const restore = (s: Tensor[]) => noGrad(() => {
    conv.weight.copy_(s[0]);
    if (conv.bias) conv.bias.copy_(s[1]);
  });
  const pruned: number[] = [];
  let accuracyPruned = accuracyBefore;
  if (o.pruneRate !== undefined) {
    pruned.push(...order.slice(0, Math.floor(o.pruneRate * conv.outChannels)));
    pruneChannels(model, pruned);
    accuracyPruned = evaluateAccuracy(model, clean);
  } else {
    // prune one channel at a time; undo the first one that costs more than the allowed drop
    for (const c of order.slice(0, conv.outChannels - 1)) {
      const before = snapshot();
      pruneChannels(model, [c]);
      const acc = evaluateAccuracy(model, clean);
      if (acc < accuracyBefore - opt.maxAccuracyDrop) {
        restore(before);
        before.forEach((t) => t.dispose());
        break;
      }
      before.forEach((t) => t.dispose());
      pruned.push(c);
      accuracyPruned = acc;
    }
  }
  if (opt.fineTuneEpochs > 0) {
    await fit(model, clean, {
      objective: o.objective, epochs: opt.fineTuneEpochs, batchSize: opt.batchSize, lr: opt.lr, seed: opt.seed,
      onStep: () => pruneChannels(model, pruned), // pruned channels stay pruned
    });
  }
  model.eval();
  const accuracyAfter = evaluateAccuracy(model, clean);
  return {
    pruned,
    accuracyBefore,
    accuracyPruned,
    accuracyAfter,
    detail: { pruned: pruned.length, channels: conv.outChannels, accuracyBefore, accuracyPruned, accuracyAfter },
    seconds: (Date.now() - t0) / 1000,
  };
}

export interface FinePruningEngineOptions {
  maxAccuracyDrop: number;
  /** 0: prune by maxAccuracyDrop. */
  pruneRate: number;
  fineTuneEpochs: number;
  lr: number;
  batchSize: number;
}

/** The catalog's fine-pruning: on the defender's clean data, fine-tuned with the victim's objective. */
export const engine: ModelDefense<FinePruningEngineOptions> = {
  name: 'fine-pruning',
  stage: 'model',
  async repair(model, o, ctx) {
    try {
      lastConv(model);
    } catch (e) {
      throw new DefenseError(`fine-pruning prunes the channels of the last convolution, and this architecture has none (${(e as Error).message}); use an architecture with convolutions, e.g. --arch mnist-small`);
    }
    const r = await finePrune(model, ctx.clean, {
      maxAccuracyDrop: o.maxAccuracyDrop,
      ...(o.pruneRate > 0 ? { pruneRate: o.pruneRate } : {}),
      fineTuneEpochs: o.fineTuneEpochs,
      lr: o.lr,
      batchSize: o.batchSize,
      objective: ctx.recipe.objective,
      seed: ctx.seed,
    });
    return { ...r.detail, prunedChannels: r.pruned };
  },
};
