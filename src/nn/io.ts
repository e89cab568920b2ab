// Model weights on disk: safetensors with PyTorch's state-dict names, loadable by PyTorch's
// safetensors (and back). Weights are checked when loaded: a NaN or infinite weight makes every
// output meaningless (a smoothing certifier would certify class 0 everywhere), so it is refused
// with the tensor's name instead of being certified.
import { dispose, loadSafetensors, saveSafetensors, tidy, type Tensor } from '../tensor/index.js';
import type { Module } from './module.js';

/** Weights that cannot be used: non-finite values. One line naming the file and the tensor. */
export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Writes the model's state dict (parameters and buffers) and string metadata, atomically. */
export function saveModel(path: string, model: Module, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, model.stateDict(), metadata);
}

/** The number of NaN and ±Inf values of a tensor (0 for integer tensors). */
export function nonFiniteCount(t: Tensor): number {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return 0;
  return tidy(() => t.isfinite().logicalNot().sum().item());
}

/** Throws WeightsError naming the first tensor that holds a NaN or infinite value. */
export function assertFiniteWeights(tensors: Record<string, Tensor>, source: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const bad = nonFiniteCount(t);
    if (bad) {
      throw new WeightsError(
        `${source}: tensor '${name}' holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or infinity) of ${t.size}; ` +
          'these weights cannot give meaningful predictions or certificates (did training diverge?); retrain or export the model again',
      );
    }
  }
}

/**
 * Loads weights from a safetensors file into the model in place and returns the file's metadata.
 * Keys and shapes must match the model exactly (strict: false ignores missing/extra keys).
 * Throws SafetensorsError for a file that is not valid safetensors and WeightsError for
 * non-finite weights.
 */
export function loadModelWeights(path: string, model: Module, opts: { strict?: boolean } = {}): Record<string, string> {
  const file = loadSafetensors(path);
  try {
    assertFiniteWeights(file.tensors, path);
    try {
      model.loadStateDict(file.tensors, opts);
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  } finally {
    dispose(file.tensors);
  }
  return file.metadata;
}
