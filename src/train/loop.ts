// The training loop: seeded shuffling, an objective per step, evaluation each epoch, a progress
// bar, a checkpoint each epoch and on Ctrl-C, and exact resume (same final weights as a run that
// was never interrupted: the shuffle order of each epoch is derived from (seed, epoch) and the
// augmentation noise generator's state is checkpointed).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import {
  Generator,
  fromInt32,
  noGrad,
  randperm,
  tensor,
  tidy,
  type Device,
} from '../tensor/index.js';
import type { Module } from '../nn/index.js';
import type { Dataset } from '../data/index.js';
import type { Objective, Batch } from './objective.js';
import { decodeState, encodeState, loadCheckpoint, saveCheckpoint, type EpochRecord, type OptimizerState } from './checkpoint.js';
import { createProgress } from './progress.js';
import { Interrupted, interruptRequested, withInterruptHandler } from '../util/interrupt.js';

/** What the loop needs of an optimizer (src/train/optim). */
export interface TrainOptimizer {
  zeroGrad(): void;
  step(): void;
  setLr(lr: number): void;
  stateDict(): OptimizerState;
  loadStateDict(s: OptimizerState): void;
}

/** Learning rate by global step (epoch · stepsPerEpoch + step), e.g. src/train/schedule.ts. */
export interface StepSchedule {
  lrAt(step: number): number;
}

export interface TrainOptions {
  model: Module;
  objective: Objective;
  optimizer: TrainOptimizer;
  schedule?: StepSchedule;
  data: Dataset;
  evalData?: Dataset;
  epochs: number;
  batchSize: number;
  seed: number;
  /** Folder for resumable state; without it nothing is checkpointed. */
  checkpointDir?: string;
  /** Continue from the checkpoint in checkpointDir when there is one. */
  resume?: boolean;
  /** Interrupts training (after writing a checkpoint) when aborted; Ctrl-C does the same. */
  signal?: AbortSignal;
  /** Called after every step (tests use it to interrupt at a chosen point). */
  onStep?: (epoch: number, step: number) => void;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  /** Label for progress lines. */
  label?: string;
}

export interface TrainResult {
  history: EpochRecord[];
  resumedFrom?: { epoch: number; step: number };
}

/** The loss became NaN or infinite: the weights are no longer usable, so training stops instead of saving them. */
export class TrainingDiverged extends Error {
  override name = 'TrainingDiverged';
  constructor(readonly epoch: number, readonly step: number, readonly loss: number) {
    super(`training diverged at epoch ${epoch + 1}, step ${step} (loss ${loss}), so the model is not saved; lower the learning rate (train.optimizer.lr, --lr) and run again`);
  }
}

export class TrainingInterrupted extends Interrupted {
  constructor(readonly checkpointDir: string | undefined, readonly epoch: number, readonly step: number) {
    super(
      checkpointDir
        ? `training interrupted at epoch ${epoch + 1}, step ${step}; state saved in ${checkpointDir} (run again with --resume to continue)`
        : `training interrupted at epoch ${epoch + 1}, step ${step} (no checkpoint folder was given, so nothing was saved)`,
    );
  }
}

/** A seed for one named stream of randomness of one epoch, derived from the run's seed. */
export function deriveSeed(seed: number, stream: string, index = 0): number {
  const h = createHash('sha256').update(`${seed}/${stream}/${index}`).digest();
  return h.readUInt32LE(0) * 2 ** 16 + h.readUInt16LE(4);
}

/**
 * The rows `idx` of a data set as a batch of tensors (float32 NCHW, int64 labels, soft targets)
 * on the device (default the CPU; pass the model's, `model.device`).
 */
export function gatherBatch(ds: Dataset, idx: ArrayLike<number>, device?: Device): Batch {
  const [c, h, w] = ds.shape;
  const per = c * h * w;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  const k = ds.numClasses;
  const soft = ds.softLabels ? new Float32Array(idx.length * k) : undefined;
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i];
    x.set(ds.images.subarray(j * per, (j + 1) * per), i * per);
    y[i] = ds.labels[j];
    if (soft) soft.set(ds.softLabels!.subarray(j * k, (j + 1) * k), i * k);
  }
  return {
    x: tensor(x, [idx.length, c, h, w], undefined, device),
    y: fromInt32(y, undefined, device),
    soft: soft ? tensor(soft, [idx.length, k], undefined, device) : undefined,
  };
}

/** Accuracy of the model on a data set (eval mode, no gradients, batches of 1,000, on the model's device). */
export function evaluateAccuracy(model: Module, ds: Dataset, batchSize = 1000): number {
  const wasTraining = model.training;
  const device = model.device;
  model.eval();
  let correct = 0;
  try {
    noGrad(() => {
      for (let s = 0; s < ds.length; s += batchSize) {
        const idx = Array.from({ length: Math.min(batchSize, ds.length - s) }, (_, i) => s + i);
        correct += tidy(() => {
          const b = gatherBatch(ds, idx, device);
          return model.forward(b.x).argmax(1).eq(b.y).sum().item();
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return ds.length ? correct / ds.length : 0;
}

function fingerprint(o: TrainOptions): string {
  const params = o.model.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`).join(',');
  return createHash('sha256')
    .update(JSON.stringify([o.objective.name, o.data.name, o.data.length, o.epochs, o.batchSize, o.seed, params]))
    .digest('hex')
    .slice(0, 16);
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/**
 * Trains `model` in place, on the model's device (move it first: `model.to(device)`; batches and
 * the augmentation noise follow it; the shuffle order is drawn on the CPU, so it is the same on
 * every device). Each step runs inside tidy, so the loop frees everything it creates.
 * Throws TrainingInterrupted (after checkpointing) on Ctrl-C or when `signal` aborts.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new RangeError(`train.epochs must be an integer >= 1 (got ${o.epochs})`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new RangeError(`train.batchSize must be an integer >= 1 (got ${o.batchSize})`);
  if (o.data.length === 0) throw new RangeError('train: the training set is empty');
  const n = o.data.length;
  const stepsPerEpoch = Math.ceil(n / o.batchSize);
  const device = o.model.device;
  const noise = new Generator(deriveSeed(o.seed, 'noise'), device);
  const fp = fingerprint(o);
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  let history: EpochRecord[] = [];
  let startEpoch = 0;
  let startStep = 0;
  let resumedFrom: TrainResult['resumedFrom'];

  if (o.checkpointDir) mkdirSync(o.checkpointDir, { recursive: true });
  if (o.resume && o.checkpointDir) {
    const ck = loadCheckpoint(o.checkpointDir);
    if (ck) {
      const refuse = (why: string) => {
        for (const t of [...Object.values(ck.model), ...Object.values(ck.optimizer.tensors)]) t.dispose();
        return new Error(why);
      };
      if (ck.meta.fingerprint !== fp) {
        throw refuse(`checkpoint in ${o.checkpointDir} belongs to a different training set-up; delete it or drop --resume`);
      }
      // The noise generator's state is a CPU or a CUDA generator's; it resumes only on its kind.
      const kind = (d: string) => d.split(':')[0];
      if (kind(ck.meta.device ?? 'cpu') !== kind(device)) {
        throw refuse(`checkpoint in ${o.checkpointDir} was written training on ${ck.meta.device ?? 'cpu'}, this run trains on ${device}; resume it on ${kind(ck.meta.device ?? 'cpu')}, or delete it to start over`);
      }
      tidy(() => {
        o.model.loadStateDict(ck.model);
        o.optimizer.loadStateDict(ck.optimizer);
      });
      for (const t of [...Object.values(ck.model), ...Object.values(ck.optimizer.tensors)]) t.dispose();
      noise.setState(decodeState(ck.meta.noiseState));
      history = ck.meta.history;
      startEpoch = ck.meta.epoch;
      startStep = ck.meta.step;
      resumedFrom = { epoch: startEpoch, step: startStep };
      if (startEpoch >= o.epochs) return { history, resumedFrom };
      log(`${o.label ?? 'train'}: resuming at epoch ${startEpoch + 1}, step ${startStep}`);
    }
  }

  const checkpoint = (epoch: number, step: number) => {
    if (!o.checkpointDir) return;
    saveCheckpoint(o.checkpointDir, o.model.stateDict(), o.optimizer.stateDict(), {
      epoch,
      step,
      noiseState: encodeState(noise.getState()),
      device,
      history,
      fingerprint: fp,
    });
  };

  await withInterruptHandler(async () => {
    for (let epoch = startEpoch; epoch < o.epochs; epoch++) {
      const order = tidy(() => randperm(n, new Generator(deriveSeed(o.seed, 'shuffle', epoch))).toArray());
      const progress = createProgress({
        total: stepsPerEpoch,
        label: `${o.label ?? 'train'} epoch ${epoch + 1}/${o.epochs}`,
        unit: 'batches',
        bar: o.progress,
        log,
      });
      const started = Date.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lastLr: number | null = null;
      o.model.train();
      const firstStep = epoch === startEpoch ? startStep : 0;
      for (let step = firstStep; step < stepsPerEpoch; step++) {
        if (interruptRequested() || o.signal?.aborted) {
          progress.stop();
          checkpoint(epoch, step);
          throw new TrainingInterrupted(o.checkpointDir, epoch, step);
        }
        const lr = o.schedule?.lrAt(epoch * stepsPerEpoch + step);
        if (lr !== undefined) {
          o.optimizer.setLr(lr);
          lastLr = lr;
        }
        const idx = order.slice(step * o.batchSize, Math.min(n, (step + 1) * o.batchSize));
        const [loss, ok] = tidy(() => {
          const batch = gatherBatch(o.data, idx, device);
          o.optimizer.zeroGrad();
          const r = o.objective.loss(o.model, batch, { epoch, progress: (epoch + step / stepsPerEpoch) / o.epochs, generator: noise });
          r.loss.backward();
          o.optimizer.step();
          const hits = noGrad(() => r.logits.argmax(1).eq(batch.y).sum().item());
          return [r.loss.item(), hits] as const;
        });
        if (!Number.isFinite(loss)) {
          progress.stop();
          throw new TrainingDiverged(epoch, step, loss);
        }
        lossSum += loss * idx.length;
        correct += ok;
        seen += idx.length;
        progress.update(step + 1, { loss: lossSum / seen, acc: correct / seen });
        o.onStep?.(epoch, step);
        await yieldToEventLoop();
      }
      const seconds = (Date.now() - started) / 1000;
      const record: EpochRecord = {
        epoch: epoch + 1,
        loss: lossSum / Math.max(seen, 1),
        trainAccuracy: correct / Math.max(seen, 1),
        lr: lastLr,
        seconds,
        samplesPerSecond: seen / Math.max(seconds, 1e-9),
      };
      if (o.evalData) record.evalAccuracy = evaluateAccuracy(o.model, o.evalData);
      history.push(record);
      progress.stop(
        `loss ${record.loss.toFixed(4)}, train acc ${(100 * record.trainAccuracy).toFixed(2)}%` +
          (record.evalAccuracy !== undefined ? `, test acc ${(100 * record.evalAccuracy).toFixed(2)}%` : '') +
          `, ${Math.round(record.samplesPerSecond)} samples/s`,
      );
      checkpoint(epoch + 1, 0);
    }
  });
  o.model.eval();
  return { history, resumedFrom };
}

