// How the victim trains, from the config: optimizer, schedule (in steps) and objective. The
// baseline model trains the same way on the clean set.
import type { ExperimentConfig } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Adam, SGD } from '../train/optim.js';
import { CosineAnnealingLR, StepLR } from '../train/schedule.js';
import { gaussianObjective, standardObjective, type Objective } from '../train/objective.js';
import { crownIbpObjective, ibpObjective } from '../train/certified.js';
import { train, type StepSchedule } from '../train/loop.js';
import type { EpochRecord } from '../train/checkpoint.js';

export function objectiveFor(cfg: ExperimentConfig, numClasses: number): Objective {
  const t = cfg.train;
  switch (t.objective) {
    case 'standard':
      return standardObjective;
    case 'gaussian':
      return gaussianObjective(t.sigma);
    case 'ibp':
    case 'crown-ibp': {
      const ramp = Math.min(1, t.epsilonRampEpochs / t.epochs);
      const o = { epsilon: t.epsilon, numClasses, rampFraction: ramp, warmupFraction: Math.min(0.1, 1 - ramp), kappa: t.kappa, beta: t.beta };
      return t.objective === 'ibp' ? ibpObjective(o) : crownIbpObjective(o);
    }
  }
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
}

/** Trains model in place on data the way the config's victim does; returns the epoch history. */
export async function trainVictim(cfg: ExperimentConfig, model: Module, data: Dataset, evalData: Dataset, o: VictimOptions): Promise<EpochRecord[]> {
  const t = cfg.train;
  const optimizer =
    t.optimizer.kind === 'adam'
      ? new Adam(model.parameters(), { lr: t.optimizer.lr, weightDecay: t.optimizer.weightDecay })
      : new SGD(model.parameters(), { lr: t.optimizer.lr, momentum: t.optimizer.momentum, weightDecay: t.optimizer.weightDecay });
  const r = await train({
    model,
    optimizer,
    schedule: scheduleFor(cfg, Math.ceil(data.length / t.batchSize)),
    objective: objectiveFor(cfg, data.numClasses),
    data,
    evalData,
    epochs: t.epochs,
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
