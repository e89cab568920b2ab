// Activation Clustering (Chen et al., "Detecting Backdoor Attacks on Deep Neural Networks by
// Activation Clustering", AAAI SafeAI 2019; arXiv 2018), a before-training filter.
//
// For each label class: reduce the penultimate activations of its samples to 10 dimensions,
// split them with 2-means, and decide whether the split is a poisoned one: poison that steers
// a class via the trigger activates different units than the class's genuine content, so it
// forms its own, small, well-separated cluster. The smaller cluster is flagged when
//   relative size: it holds at most sizeThreshold (0.35, Chen et al.) of the class, and
//   silhouette: the 2-means split is a good one (mean silhouette ≥ silhouetteThreshold, 0.10 as
//               in IBM ART's implementation of Chen et al.), so clean classes that merely split
//               in two uneven modes are left alone.
// `analysis` picks either test or both (default both). Chen et al. reduce with ICA; we use PCA
// (ml-pca) to 10 components, the reduction IBM ART also offers; 2-means is ml-kmeans with
// k-means++ initialisation, seeded.
import { kmeans } from 'ml-kmeans';
import { PCA } from 'ml-pca';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Generator } from '../tensor/index.js';
import { permutation } from '../data/index.js';
import { representations } from './features.js';
import { splitByFlag, type DataFilterOptions, type FilterResult } from './types.js';
import type { DataDefense } from './engine.js';

export const AC_ANALYSES = ['relative-size', 'silhouette', 'both'] as const;
export type AcAnalysis = (typeof AC_ANALYSES)[number];

export interface ActivationClusteringOptions extends DataFilterOptions {
  /** Dimensions the activations are reduced to before clustering. Default 10 (Chen et al.). */
  components?: number;
  /** Which test decides that a class's smaller cluster is poison. Default 'both'. */
  analysis?: AcAnalysis;
  /** Largest share of its class the flagged cluster may hold. Default 0.35 (Chen et al.). */
  sizeThreshold?: number;
  /** Smallest mean silhouette of the split. Default 0.10 (IBM ART). */
  silhouetteThreshold?: number;
  /** Silhouettes are estimated on at most this many samples per class (seeded). Default 2000. */
  silhouetteSample?: number;
  /** Precomputed representations (one row per sample); default: the model's penultimate layer. */
  features?: Float32Array[];
}

export const AC_DEFAULTS = { components: 10, analysis: 'both', sizeThreshold: 0.35, silhouetteThreshold: 0.1, silhouetteSample: 2000 } as const;

/** Per class: the 2-means split, its smaller cluster's share and the split's mean silhouette. */
export interface ClassSplit {
  label: number;
  size: number;
  smallerShare: number;
  silhouette: number;
  flagged: boolean;
}

export interface ActivationClusteringResult extends FilterResult {
  classes: ClassSplit[];
}

const dist2 = (a: number[], b: number[]) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
};

/** Mean silhouette of a 2-cluster assignment (Rousseeuw 1987), on the given points. */
export function meanSilhouette(points: number[][], cluster: number[]): number {
  const n = points.length;
  if (n < 3) return 0;
  let total = 0;
  const sizes = [0, 0];
  for (const c of cluster) sizes[c]++;
  if (!sizes[0] || !sizes[1]) return 0;
  for (let i = 0; i < n; i++) {
    const sum = [0, 0];
    for (let j = 0; j < n; j++) if (j !== i) sum[cluster[j]] += Math.sqrt(dist2(points[i], points[j]));
    const own = cluster[i];
    if (sizes[own] === 1) continue; // s(i) = 0 for a singleton
    const a = sum[own] / (sizes[own] - 1);
    const b = sum[1 - own] / sizes[1 - own];
    total += (b - a) / Math.max(a, b);
  }
  return total / n;
}

export function activationClustering(data: Dataset, model: Module, opts: ActivationClusteringOptions = {}): ActivationClusteringResult {
  const o = { ...AC_DEFAULTS, ...opts };
  if (!AC_ANALYSES.includes(o.analysis)) throw new RangeError(`activation clustering: analysis '${String(o.analysis)}' is unknown; use ${AC_ANALYSES.join(', ')}`);
  if (!(Number.isInteger(o.components) && o.components >= 1)) throw new RangeError(`activation clustering: components ${o.components} must be a positive integer`);
  if (!(o.sizeThreshold > 0 && o.sizeThreshold <= 0.5)) throw new RangeError(`activation clustering: sizeThreshold ${o.sizeThreshold} must be in (0, 0.5]`);
  const features = opts.features ?? representations(model, data);
  if (features.length !== data.length) throw new RangeError(`activation clustering: ${features.length} feature rows for ${data.length} samples`);
  const seed = o.seed ?? 0;
  const gen = new Generator(seed);
  const flag = new Uint8Array(data.length);
  const scores = new Float32Array(data.length).fill(Number.NaN);
  const classes: ClassSplit[] = [];
  for (let c = 0; c < data.numClasses; c++) {
    const members: number[] = [];
    data.labels.forEach((y, i) => y === c && members.push(i));
    if (members.length < 4) continue;
    const rows = members.map((i) => Array.from(features[i]));
    const pca = new PCA(rows, { center: true, method: 'covarianceMatrix' });
    const reduced = pca.predict(rows, { nComponents: Math.min(o.components, rows[0].length) }).to2DArray();
    const km = kmeans(reduced, 2, { seed: seed + c, initialization: 'kmeans++' });
    const sizes = [0, 0];
    for (const k of km.clusters) sizes[k]++;
    const small = sizes[0] <= sizes[1] ? 0 : 1;
    const smallerShare = sizes[small] / members.length;
    // silhouette on a seeded subsample (it is quadratic in the class size)
    const perm = permutation(members.length, gen).subarray(0, Math.min(members.length, o.silhouetteSample));
    const silhouette = meanSilhouette(Array.from(perm, (j) => reduced[j]), Array.from(perm, (j) => km.clusters[j]));
    const bySize = smallerShare <= o.sizeThreshold;
    const bySilhouette = silhouette >= o.silhouetteThreshold;
    const flagged = o.analysis === 'relative-size' ? bySize : o.analysis === 'silhouette' ? bySilhouette : bySize && bySilhouette;
    // score: members of a smaller cluster, the more so the better separated and the smaller it is
    members.forEach((i, j) => {
      const inSmall = km.clusters[j] === small;
      scores[i] = inSmall ? silhouette + (1 - smallerShare) : 0;
      if (flagged && inSmall) flag[i] = 1;
    });
    classes.push({ label: c, size: members.length, smallerShare, silhouette, flagged });
  }
  return { ...splitByFlag(flag, scores), classes };
}

/** The catalog's activation-clustering: the filter with the run's seed; the per-class splits go to the report. */
export const engine: DataDefense<Omit<ActivationClusteringOptions, 'seed' | 'features'>> = {
  name: 'activation-clustering',
  stage: 'data',
  async filter(poisoned, victim, options, ctx) {
    const r = activationClustering(poisoned, victim, { ...options, seed: ctx.seed });
    const round = (x: number) => Number(x.toFixed(4));
    return { ...r, detail: { classes: r.classes.map((c) => ({ ...c, smallerShare: round(c.smallerShare), silhouette: round(c.silhouette) })) } };
  },
};
