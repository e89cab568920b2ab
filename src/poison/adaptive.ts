// Adaptive attackers (issue 10): extra attacker-made samples, added to any attack's poisoned set,
// each built to evade one defense. They are recorded in poison.json like the poison itself
// (kind 'cover', 'strip-cover' or 'decoy'), so detection can be scored against either.
//   cover        triggered copies of clean samples with their *true* labels (the "regularization
//                samples" of Qi et al., "Revisiting the Assumption of Latent Separability for
//                Backdoor Defenses", ICLR 2023): the trigger alone no longer predicts the poisoned
//                behaviour, which shrinks the gap between poison and clean representations that
//                activation clustering and spectral signatures rely on.
//   strip-cover  the trigger superimposed on a clean image as STRIP superimposes (clip(trigger(x)
//                + x')), with a soft target split evenly between the two images' classes: what
//                the model answers on clean superpositions. Triggered inputs then get clean-looking
//                STRIP entropy, while the trigger alone keeps its effect.
//   decoy        clean images (no trigger) with a wrong label. Their loss is higher than any
//                poison's, so a loss filter that isolates a fixed share of the highest-loss
//                samples spends its quota on the decoys and lets the availability poison through.
import { permutation, uniformInts, type Dataset } from '../data/index.js';
import { Generator } from '../tensor/index.js';
import type { PoisonRecord, PoisonResult } from './common.js';
import { PoisonConfigError } from './errors.js';

export const ADAPTIVE_KINDS = ['cover', 'strip-cover', 'decoy'] as const;
export type AdaptiveKind = (typeof ADAPTIVE_KINDS)[number];

export interface AdaptiveOptions {
  kind: AdaptiveKind;
  /** Extra samples as a share of the clean training set (round(rate·N) of them). */
  rate: number;
  /** Default 0. */
  seed?: number;
}

/**
 * The poisoned set with round(rate·N) extra samples of the given kind appended (the attack must
 * have used mode 'add'). The extra samples' records follow the attack's own.
 */
export function addAdaptiveSamples(clean: Dataset, poison: PoisonResult, o: AdaptiveOptions): PoisonResult {
  if (!ADAPTIVE_KINDS.includes(o.kind)) throw new PoisonConfigError(`adaptive: kind '${String(o.kind)}' is unknown; use ${ADAPTIVE_KINDS.join(', ')}`);
  if (!(o.rate > 0 && o.rate < 1)) throw new PoisonConfigError(`adaptive: rate ${o.rate} must be in (0, 1)`);
  if (poison.summary.mode !== 'add') throw new PoisonConfigError('adaptive: extra samples need an attack in mode add (they are appended)');
  const n = clean.length;
  const count = Math.round(o.rate * n);
  if (count < 1) throw new PoisonConfigError(`adaptive: rate ${o.rate} makes no sample from ${n}; raise it`);
  const k = clean.numClasses;
  const d = clean.imageSize;
  const gen = new Generator(o.seed ?? 0);
  const sources = permutation(n, gen).subarray(0, count);
  const images = new Float32Array(count * d);
  const labels = new Int32Array(count);
  const soft = new Float32Array(count * k);
  const details: Partial<PoisonRecord>[] = [];
  if (o.kind === 'cover') {
    images.set(poison.trigger.apply(clean.subset(sources).images, clean.shape));
    sources.forEach((s, j) => {
      labels[j] = clean.labels[s];
      soft[j * k + labels[j]] = 1;
      details.push({ kind: 'cover' });
    });
  } else if (o.kind === 'strip-cover') {
    const triggered = poison.trigger.apply(clean.subset(sources).images, clean.shape);
    const overlays = uniformInts(count, n, gen);
    for (let j = 0; j < count; j++) {
      const over = clean.image(overlays[j]);
      for (let q = 0; q < d; q++) images[j * d + q] = Math.min(1, triggered[j * d + q] + over[q]);
      const a = clean.labels[sources[j]];
      const b = clean.labels[overlays[j]];
      labels[j] = b;
      soft[j * k + a] += 0.5;
      soft[j * k + b] += 0.5;
      details.push({ kind: 'strip-cover' });
    }
  } else {
    images.set(clean.subset(sources).images);
    const shift = uniformInts(count, k - 1, gen);
    sources.forEach((s, j) => {
      labels[j] = (clean.labels[s] + 1 + shift[j]) % k; // any class but the true one
      soft[j * k + labels[j]] = 1;
      details.push({ kind: 'decoy' });
    });
  }
  const base = poison.dataset;
  const m = base.length;
  const allImages = new Float32Array((m + count) * d);
  allImages.set(base.images);
  allImages.set(images, m * d);
  const allLabels = new Int32Array(m + count);
  allLabels.set(base.labels);
  allLabels.set(labels, m);
  const needSoft = Boolean(base.softLabels) || o.kind === 'strip-cover';
  let allSoft: Float32Array | undefined;
  if (needSoft) {
    allSoft = new Float32Array((m + count) * k);
    allSoft.set(base.targets());
    allSoft.set(soft, m * k);
  }
  const records: PoisonRecord[] = [
    ...poison.records,
    ...Array.from(sources, (s, j) => ({ index: m + j, source: s, label: labels[j], sourceLabel: clean.labels[s], kind: details[j].kind! })),
  ];
  return {
    ...poison,
    dataset: base.with({ name: `${base.name}+${o.kind}`, images: allImages, labels: allLabels, softLabels: allSoft }),
    records,
    summary: { ...poison.summary, size: m + count, adaptive: { kind: o.kind, rate: o.rate, count, seed: o.seed ?? 0 } },
  };
}
