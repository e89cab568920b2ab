// How the victim trains, from the config: optimizer, schedule (in steps) and the objective kind
// (the catalog's engine). The baseline model, and any surrogate, train the same way.
import { objectiveOptions, type ExperimentConfig } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
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

/** Trains model in place on data the way the config's victim does; returns the epoch history. */
export async function trainVictim(cfg: ExperimentConfig, model: Module, data: Dataset, evalData: Dataset, o: VictimOptions): Promise<EpochRecord[]> {
  const t = cfg.train;
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
