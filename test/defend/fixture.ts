// A small poisoned MNIST victim for the defense tests: a few thousand training images, a few
// epochs of mnist-small, seeds fixed. Each test file trains its own (files run in parallel
// processes), in a few seconds.
import { loadSource, take, type Dataset } from '../../src/data/index.js';
import { buildModel, type Module } from '../../src/nn/index.js';
import type { PoisonResult, TriggerSpec } from '../../src/poison/index.js';
import { runAttack } from '../poison/engines.js';
import { gaussianObjective, standardObjective } from '../../src/train/index.js';
import { fit } from '../../src/defend/index.js';
import type { TrainRecipe } from '../../src/defend/index.js';

export const TRIGGER: TriggerSpec = { kind: 'patch', size: 5, position: 'bottom-right', content: { kind: 'checkerboard' } };

/** Disjoint parts of MNIST: training images, held-out clean images (the defender's), test images. */
export function mnistParts(trainN: number, heldOutN: number, testN: number): { train: Dataset; heldOut: Dataset; test: Dataset } {
  const all = loadSource('mnist', { split: 'train', limit: trainN + heldOutN });
  const test = testN > 0 ? loadSource('mnist', { split: 'test', limit: testN }) : take(loadSource('mnist', { split: 'test', limit: 1 }), 0);
  const idx = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
  return { train: all.subset(idx(0, trainN)), heldOut: all.subset(idx(trainN, trainN + heldOutN)), test };
}

export function recipe(o: { sigma?: number; epochs?: number; lr?: number; batchSize?: number; arch?: string } = {}): TrainRecipe {
  return {
    objective: o.sigma ? gaussianObjective(o.sigma) : standardObjective,
    epochs: o.epochs ?? 3,
    batchSize: o.batchSize ?? 64,
    lr: o.lr ?? 1e-3,
    build: (seed) => buildModel(o.arch ?? 'mnist-small', { seed }),
  };
}

export interface Victim {
  poison: PoisonResult;
  model: Module;
}

/** Poisons `train` with the named attack and trains the victim on it. */
export async function poisonedVictim(train: Dataset, attack: string, opts: Record<string, unknown>, r: TrainRecipe, seed = 0): Promise<Victim> {
  const poison = runAttack(attack, train, { rate: 0.05, trigger: TRIGGER, seed, ...opts });
  const model = r.build(seed);
  await fit(model, poison.dataset, { ...r, seed });
  return { poison, model };
}

/** Accuracy of a model on a data set (re-exported for the tests). */
export { evaluateAccuracy } from '../../src/train/index.js';
