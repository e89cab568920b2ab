// Model weights on disk: safetensors with PyTorch's state-dict names, loadable by PyTorch's
// safetensors (and back).
import { dispose, loadSafetensors, saveSafetensors } from '../tensor/index.js';
import type { Module } from './module.js';

/** Writes the model's state dict (parameters and buffers) and string metadata, atomically. */
export function saveModel(path: string, model: Module, metadata: Record<string, string> = {}): void {
  saveSafetensors(path, model.stateDict(), metadata);
}

/**
 * Loads weights from a safetensors file into the model in place and returns the file's metadata.
 * Keys and shapes must match the model exactly (strict: false ignores missing/extra keys).
 */
export function loadModelWeights(path: string, model: Module, opts: { strict?: boolean } = {}): Record<string, string> {
  const file = loadSafetensors(path);
  try {
    model.loadStateDict(file.tensors, opts);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  } finally {
    dispose(file.tensors);
  }
  return file.metadata;
}
