// Training inside a defense (retraining, partition models, fine-tuning, unlearning): the
// project's train loop with Adam, quiet, the optimizer's state freed afterwards.
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Adam, train, type Objective } from '../train/index.js';
import type { TrainRecipe } from './types.js';

export interface FitOptions {
  objective: Objective;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  onStep?: (epoch: number, step: number) => void;
}

/** Trains model in place on data (eval mode afterwards). */
export async function fit(model: Module, data: Dataset, o: FitOptions): Promise<void> {
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  try {
    await train({
      model, objective: o.objective, optimizer, data, epochs: o.epochs, batchSize: o.batchSize, seed: o.seed,
      progress: false, log: () => {}, onStep: o.onStep,
    });
  } finally {
    optimizer.dispose();
  }
  model.eval();
}

/** A fresh model trained with the victim's recipe (the retraining after a data filter). */
export async function retrain(data: Dataset, recipe: TrainRecipe, seed: number): Promise<Module> {
  const model = recipe.build(seed);
  await fit(model, data, { ...recipe, seed });
  return model;
}
