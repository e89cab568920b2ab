// Resumable training state: model and optimizer tensors in one safetensors file, everything else
// (epoch, step, RNG state, optimizer meta, history) in a JSON file written last. The JSON names
// the tensor file it belongs to, so a crash between the two writes leaves the previous
// checkpoint intact and consistent.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors, saveSafetensors, type Tensor } from '../tensor/index.js';
import { writeJsonAtomic } from '../util/atomic.js';

export interface OptimizerState {
  tensors: Record<string, Tensor>;
  meta: unknown;
}

export interface CheckpointMeta {
  /** Epoch in progress (0-based) and the number of its batches already done. */
  epoch: number;
  step: number;
  /** libtorch generator state of the augmentation noise, base64. */
  noiseState: string;
  /** The device training ran on (absent in checkpoints from before devices: the CPU). */
  device?: string;
  optimizerMeta: unknown;
  history: EpochRecord[];
  /** Fingerprint of the training set-up; a checkpoint from another set-up is not resumed. */
  fingerprint: string;
  tensorFile: string;
}

export interface EpochRecord {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  evalAccuracy?: number;
  /** The learning rate of the epoch's last step (null without a schedule: the optimizer's own). */
  lr: number | null;
  seconds: number;
  samplesPerSecond: number;
}

const STATE = 'state.json';

export function saveCheckpoint(dir: string, model: Record<string, Tensor>, optimizer: OptimizerState, meta: Omit<CheckpointMeta, 'tensorFile' | 'optimizerMeta'>): void {
  const tensorFile = `state-e${meta.epoch}-s${meta.step}.safetensors`;
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(model)) tensors[`model.${k}`] = t;
  for (const [k, t] of Object.entries(optimizer.tensors)) tensors[`optimizer.${k}`] = t;
  saveSafetensors(join(dir, tensorFile), tensors);
  writeJsonAtomic(join(dir, STATE), { ...meta, optimizerMeta: optimizer.meta, tensorFile });
  // Only now is the older tensor file unreferenced.
  for (const f of readdirSync(dir)) if (f.startsWith('state-') && f !== tensorFile) rmSync(join(dir, f), { force: true });
}

export interface LoadedCheckpoint {
  meta: CheckpointMeta;
  model: Record<string, Tensor>;
  optimizer: OptimizerState;
}

export function loadCheckpoint(dir: string): LoadedCheckpoint | null {
  const statePath = join(dir, STATE);
  if (!existsSync(statePath)) return null;
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (e) {
    throw new Error(`checkpoint ${statePath} is unreadable (${(e as Error).message}); delete ${dir} to start over`);
  }
  const { tensors } = loadSafetensors(join(dir, meta.tensorFile));
  const model: Record<string, Tensor> = {};
  const opt: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (k.startsWith('model.')) model[k.slice(6)] = t;
    else if (k.startsWith('optimizer.')) opt[k.slice(10)] = t;
  }
  return { meta, model, optimizer: { tensors: opt, meta: meta.optimizerMeta } };
}

export const encodeState = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const decodeState = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
