// Spectral Signatures (Tran, Li & Madry, NeurIPS 2018), a before-training filter.
//
// For each label class: take the penultimate representations R (n_c × d) of its samples, centre
// them, find the top right singular vector v of the centred matrix, and score every sample by its
// squared correlation with v, τ_i = ((R_i − mean) · v)². Remove the 1.5·ρ̂·n_c highest-scoring
// samples of the class (ρ̂: an upper estimate of the poison rate), then retrain on the rest.
// Why it works: when a class holds an ε share of poison whose representations are shifted by a
// mean gap Δ, the top singular direction of the class's covariance aligns with Δ once
// ε(1−ε)‖Δ‖² exceeds the clean covariance's top eigenvalue, so poison sits in the score's tail.
// The top singular vector of the centred matrix is the first principal component; we take it
// from ml-pca (an SVD of the centred class matrix).
import { PCA } from 'ml-pca';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { representations } from './features.js';
import { splitByFlag, type DataFilterOptions, type FilterResult } from './types.js';
import type { DataDefense } from './engine.js';

export interface SpectralSignaturesOptions extends DataFilterOptions {
  /** ρ̂, the defender's upper estimate of the poison rate (Tran et al.: ε). Default 0.01. */
  poisonRate?: number;
  /** Remove removalFactor·ρ̂·n_c samples per class. Default 1.5 (Tran et al.). */
  removalFactor?: number;
  /** Precomputed representations (one row per sample); default: the model's penultimate layer. */
  features?: Float32Array[];
}

export const SPECTRAL_DEFAULTS = { poisonRate: 0.01, removalFactor: 1.5 } as const;

/** Scores per sample: the squared projection on the class's top singular direction. */
export function spectralScores(features: readonly Float32Array[], labels: Int32Array, numClasses: number): Float32Array {
  const scores = new Float32Array(labels.length);
  for (let c = 0; c < numClasses; c++) {
    const members: number[] = [];
    labels.forEach((y, i) => y === c && members.push(i));
    if (members.length < 2) continue;
    const rows = members.map((i) => Array.from(features[i]));
    const pca = new PCA(rows, { center: true, method: 'covarianceMatrix' });
    const v = pca.getEigenvectors().getColumn(0);
    const means = pca.toJSON().means as number[];
    for (const i of members) {
      let dot = 0;
      const f = features[i];
      for (let q = 0; q < v.length; q++) dot += (f[q] - means[q]) * v[q];
      scores[i] = dot * dot;
    }
  }
  return scores;
}

/** Removes, in every class, the ⌈removalFactor·ρ̂·n_c⌉ samples with the largest spectral score. */
export function spectralSignatures(data: Dataset, model: Module, opts: SpectralSignaturesOptions = {}): FilterResult {
  const rate = opts.poisonRate ?? SPECTRAL_DEFAULTS.poisonRate;
  const factor = opts.removalFactor ?? SPECTRAL_DEFAULTS.removalFactor;
  if (!(rate > 0 && rate < 1)) throw new RangeError(`spectral signatures: poisonRate ${rate} must be in (0, 1)`);
  if (!(factor > 0)) throw new RangeError(`spectral signatures: removalFactor ${factor} must be > 0`);
  const features = opts.features ?? representations(model, data);
  if (features.length !== data.length) throw new RangeError(`spectral signatures: ${features.length} feature rows for ${data.length} samples`);
  const scores = spectralScores(features, data.labels, data.numClasses);
  const flag = new Uint8Array(data.length);
  for (let c = 0; c < data.numClasses; c++) {
    const members: number[] = [];
    data.labels.forEach((y, i) => y === c && members.push(i));
    const remove = Math.min(members.length, Math.ceil(factor * rate * members.length));
    members.sort((a, b) => scores[b] - scores[a] || a - b);
    for (let j = 0; j < remove; j++) flag[members[j]] = 1;
  }
  return splitByFlag(flag, scores);
}

/** The catalog's spectral-signatures (ε is the poison's share within a class). */
export const engine: DataDefense<Omit<SpectralSignaturesOptions, 'seed' | 'features'>> = {
  name: 'spectral-signatures',
  stage: 'data',
  async filter(poisoned, victim, options) {
    return { ...spectralSignatures(poisoned, victim, options), detail: { poisonRate: options.poisonRate, removalFactor: options.removalFactor } };
  },
};
