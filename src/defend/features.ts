// Internal representations the defenses look at: the penultimate layer (activation clustering,
// spectral signatures: Chen et al. and Tran et al. both use the last hidden layer), the output of
// the last convolution (fine-pruning), and per-sample losses (loss isolation).
import type { Dataset } from '../data/index.js';
import { Conv2d, Linear, Sequential, type Module } from '../nn/index.js';
import { crossEntropy, noGrad, tidy, type Tensor } from '../tensor/index.js';
import { gatherBatch } from '../train/index.js';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

function asSequential(model: Module, what: string): Sequential {
  if (!(model instanceof Sequential)) throw new TypeError(`${what}: the model must be a Sequential (every named architecture is one)`);
  return model;
}

/** The index of the last layer of a type in a Sequential, or −1. */
function lastIndexOf(model: Sequential, type: abstract new (...a: never[]) => Module): number {
  for (let i = model.layers.length - 1; i >= 0; i--) if (model.layers[i] instanceof type) return i;
  return -1;
}

/** x through layers [0, end). */
export function forwardUntil(model: Sequential, end: number, x: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < end; i++) y = model.layers[i].forward(y);
  return y;
}

/** The penultimate representation: everything before the final Linear (mnist-small: the 100-unit fc after its ReLU). */
export function penultimateLayer(model: Module): { model: Sequential; end: number } {
  const seq = asSequential(model, 'penultimate representation');
  const end = lastIndexOf(seq, Linear);
  if (end < 1) throw new TypeError('penultimate representation: the model has no final Linear layer with layers before it');
  return { model: seq, end };
}

/** Rows of features for every sample: a [N, D] matrix as N Float32Arrays (eval mode, no noise). */
export function representations(model: Module, data: Dataset, batchSize = 1000): Float32Array[] {
  const { model: seq, end } = penultimateLayer(model);
  const wasTraining = model.training;
  model.eval();
  const out: Float32Array[] = [];
  try {
    noGrad(() => {
      for (let s = 0; s < data.length; s += batchSize) {
        const idx = range(s, Math.min(data.length, s + batchSize));
        const flat = tidy(() => forwardUntil(seq, end, gatherBatch(data, idx, model.device).x).flatten(1).toFloat32Array());
        const d = flat.length / idx.length;
        for (let i = 0; i < idx.length; i++) out.push(flat.slice(i * d, (i + 1) * d));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** The last Conv2d of a Sequential and its index (fine-pruning's layer). */
export function lastConv(model: Module): { model: Sequential; index: number; conv: Conv2d } {
  const seq = asSequential(model, 'fine-pruning');
  const index = lastIndexOf(seq, Conv2d);
  if (index < 0) throw new TypeError('fine-pruning: the model has no Conv2d layer to prune');
  return { model: seq, index, conv: seq.layers[index] as Conv2d };
}

/**
 * Per-sample cross-entropy of the model on the data set's own targets (soft targets where the
 * set carries them, so uniform-target poison is scored against its uniform target).
 */
export function perSampleLoss(model: Module, data: Dataset, batchSize = 1000): Float32Array {
  const out = new Float32Array(data.length);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < data.length; s += batchSize) {
        const idx = range(s, Math.min(data.length, s + batchSize));
        const l = tidy(() => {
          const b = gatherBatch(data, idx, model.device);
          const logits = model.forward(b.x);
          return (b.soft ? logits.logSoftmax(1).mul(b.soft).sum(1).neg() : crossEntropy(logits, b.y, 'none')).toFloat32Array();
        });
        out.set(l, s);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}
