// Training objectives: what the victim minimises. Each sees the same batches (clean and poisoned
// alike), so the poisoned samples go through exactly the victim's augmentation.
import { crossEntropy, randn, type Generator, type Tensor } from '../tensor/index.js';
import type { Module } from '../nn/index.js';

export interface Batch {
  x: Tensor;
  y: Tensor;
  /** Soft targets [B, K] when the data set carries them (uncertainty attack, `soft` labels). */
  soft?: Tensor;
}

export interface StepContext {
  epoch: number;
  /** Fractional progress through training in [0, 1]: drives epsilon / kappa / beta schedules. */
  progress: number;
  /** Noise for augmentation; seeded and checkpointed with the run. */
  generator: Generator;
}

export interface ObjectiveResult {
  loss: Tensor;
  /** Logits on the inputs the model was trained on this step (for running accuracy). */
  logits: Tensor;
}

export interface Objective {
  readonly name: string;
  loss(model: Module, batch: Batch, ctx: StepContext): ObjectiveResult;
}

/** What an objective kind registers under its catalog name (src/catalog/objectives.ts): its Objective from the options. */
export interface ObjectiveEngine<O> {
  /** The name it is registered under in the catalog. */
  name: string;
  objective(options: O, ctx: { numClasses: number; epochs: number }): Objective;
}

/** Cross-entropy with hard labels, or with the batch's soft targets where it has them. */
export function classificationLoss(logits: Tensor, batch: Batch): Tensor {
  return batch.soft ? crossEntropy(logits, batch.soft) : crossEntropy(logits, batch.y);
}

/** Plain cross-entropy training. */
export const standardObjective: Objective = {
  name: 'standard',
  loss(model, batch) {
    const logits = model.forward(batch.x);
    return { loss: classificationLoss(logits, batch), logits };
  },
};

/**
 * Gaussian noise augmentation (Cohen et al. 2019): train on x + N(0, sigma^2 I), the base
 * classifier that randomized smoothing at the same sigma needs. No clipping, as in their code.
 */
export function gaussianObjective(sigma: number): Objective {
  if (!(sigma > 0)) throw new RangeError(`gaussian training: sigma ${sigma} must be > 0`);
  return {
    name: 'gaussian',
    loss(model, batch, ctx) {
      const noisy = batch.x.add(randn(batch.x.shape, { generator: ctx.generator }).mul(sigma));
      const logits = model.forward(noisy);
      return { loss: classificationLoss(logits, batch), logits };
    },
  };
}
