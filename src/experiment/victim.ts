// How the victim trains, from the config: optimizer, schedule (in steps) and the objective kind
// (the catalog's engine). The baseline model, and any surrogate, train the same way.
import { objectiveOptions, type ExperimentConfig } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { noGrad, tensor, workingBytes } from '../tensor/index.js';
import { Adam, SGD } from '../train/optim.js';
import { CosineAnnealingLR, StepLR } from '../train/schedule.js';
import type { Objective } from '../train/objective.js';
import { train, type StepSchedule } from '../train/loop.js';
import type { EpochRecord } from '../train/checkpoint.js';
import { objectiveEngine } from './engines.js';

/** The configured objective kind's Objective. */
export async function objectiveFor(cfg: ExperimentConfig, numClasses: number, kind: string = cfg.train.objective, epochs = cfg.train.epochs): Promise<Objective> {
  return (await objectiveEngine(kind)).objective(objectiveOptions(cfg, kind), { numClasses, epochs });
}

export function scheduleFor(cfg: ExperimentConfig, stepsPerEpoch: number): StepSchedule | undefined {
  const s = cfg.train.schedule;
  const lr = cfg.train.optimizer.lr;
  const total = cfg.train.epochs * stepsPerEpoch;
  const warmup = Math.min(s.warmupEpochs * stepsPerEpoch, total - 1);
  switch (s.kind) {
    case 'none':
      return undefined;
    case 'step':
      return new StepLR(lr, { stepSize: s.stepEpochs * stepsPerEpoch, gamma: s.gamma });
    case 'cosine':
      return new CosineAnnealingLR(lr, { tMax: total, warmup });
  }
}

export interface VictimOptions {
  checkpointDir: string;
  resume: boolean;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  label: string;
  /** Train with this objective kind (default options) instead of the configured one, for this many epochs (a surrogate). */
  objective?: string;
  epochs?: number;
}

/** Memory one training step may need; a batch whose estimate exceeds it is refused (its size is part of the method, so it is not split). */
export const TRAINING_STEP_BYTES = 8 * 2 ** 30;

/**
 * Why a training batch of `batch` samples would not fit the memory budget, given the working
 * memory of one sample's forward pass: a step keeps the activations for backward and adds their
 * gradients and the optimizer's temporaries, about three times the forward pass.
 */
export function trainingBatchProblem(batch: number, forwardBytesPerSample: number, configured = batch, budget = TRAINING_STEP_BYTES): string | undefined {
  const step = 3 * forwardBytesPerSample * batch;
  if (step <= budget) return undefined;
  const fits = Math.max(1, Math.floor(budget / (3 * forwardBytesPerSample)));
  return (
    `a training step on ${batch} samples (train.batchSize ${configured}) would need about ${(step / 2 ** 30).toFixed(1)} GiB (${Math.ceil((3 * forwardBytesPerSample) / 1024)} KiB per sample); ` +
    `the limit is ${budget / 2 ** 30} GiB: use --batch-size ${fits} or less`
  );
}

/** Trains model in place on data the way the config's victim does; returns the epoch history. */
export async function trainVictim(cfg: ExperimentConfig, model: Module, data: Dataset, evalData: Dataset, o: VictimOptions): Promise<EpochRecord[]> {
  const t = cfg.train;
  const batch = Math.min(t.batchSize, data.length);
  if (batch > 1) {
    model.eval(); // one sample through BatchNorm in train mode is not allowed; the estimate is the same
    const perSample = workingBytes(() => noGrad(() => model.forward(tensor(data.image(0), [1, ...data.shape], undefined, model.device))));
    const problem = trainingBatchProblem(batch, perSample, t.batchSize);
    if (problem) throw new RangeError(problem);
  }
  const optimizer =
    t.optimizer.kind === 'adam'
      ? new Adam(model.parameters(), { lr: t.optimizer.lr, weightDecay: t.optimizer.weightDecay })
      : new SGD(model.parameters(), { lr: t.optimizer.lr, momentum: t.optimizer.momentum, weightDecay: t.optimizer.weightDecay });
  const epochs = o.epochs ?? t.epochs;
  const r = await train({
    model,
    optimizer,
    schedule: o.epochs === undefined ? scheduleFor(cfg, Math.ceil(data.length / t.batchSize)) : undefined,
    objective: await objectiveFor(cfg, data.numClasses, o.objective, epochs),
    data,
    evalData,
    epochs,
    batchSize: t.batchSize,
    seed: cfg.seed,
    checkpointDir: o.checkpointDir,
    resume: o.resume,
    progress: o.progress,
    log: o.log,
    label: o.label,
  });
  return r.history;
}
