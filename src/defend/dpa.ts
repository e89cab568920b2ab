// Deep Partition Aggregation (Levine & Feizi, "Deep Partition Aggregation: Provable Defenses
// against General Poisoning Attacks", ICLR 2021), a during-training defense with a certificate.
//
// The training set is split into k partitions by a hash of each sample's content (image and
// label), so where a sample goes depends on that sample alone. One model is trained per
// partition, each a deterministic function of its partition's samples (seed from the partition
// index, samples in canonical hash order). The ensemble answers with the plurality vote, ties
// to the smaller class index. Inserting or deleting one training sample changes one partition,
// so one model, so moves at most one vote. With n_c votes per class and c the winner, the vote
// cannot change under any ρ̄ insertions or deletions, where (their Theorem 1)
//     ρ̄ = ⌊ (n_c − max_{c' ≠ c} (n_{c'} + 1[c' < c])) / 2 ⌋.
// Changing a sample is one deletion plus one insertion, so it counts twice against ρ̄.
import { createHash } from 'node:crypto';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { noGrad, tensor, tidy } from '../tensor/index.js';
import { deriveSeed } from '../train/index.js';
import { fit } from './fit.js';
import type { TrainRecipe } from './types.js';
import type { TrainingDefense } from './engine.js';

export interface DpaOptions {
  /** k, the number of partitions (and models). Levine & Feizi use 1,200 and 3,000 on MNIST. */
  partitions: number;
  /** Seeds every partition model (with the partition index). Default 0. */
  seed?: number;
  /** Called after each partition model is trained. */
  onPartition?: (done: number, total: number) => void;
}

export const DPA_DEFAULTS = { partitions: 1200, seed: 0 } as const;

/** The content hash of one sample: SHA-256 of its pixel bytes and its label (and soft target). */
export function sampleHash(data: Dataset, i: number): Buffer {
  const img = data.image(i);
  const h = createHash('sha256').update(Buffer.from(img.buffer, img.byteOffset, img.byteLength));
  h.update(`/${data.labels[i]}`);
  if (data.softLabels) {
    const k = data.numClasses;
    const s = data.softLabels.subarray(i * k, (i + 1) * k);
    h.update(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
  }
  return h.digest();
}

/** The partition of each sample: its content hash modulo k. */
export function partitionOf(data: Dataset, k: number): Int32Array {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`DPA: partitions ${k} must be a positive integer`);
  return Int32Array.from({ length: data.length }, (_, i) => Number(sampleHash(data, i).readBigUInt64BE(0) % BigInt(k)));
}

/** The DPA certificate of one input from its vote counts. */
export function dpaCertificate(counts: ArrayLike<number>): { prediction: number; radius: number } {
  let c = 0;
  for (let j = 1; j < counts.length; j++) if (counts[j] > counts[c]) c = j; // ties: smaller index
  let rival = -Infinity;
  for (let j = 0; j < counts.length; j++) if (j !== c) rival = Math.max(rival, counts[j] + (j < c ? 1 : 0));
  return { prediction: c, radius: counts.length > 1 ? Math.max(0, Math.floor((counts[c] - rival) / 2)) : Infinity };
}

export interface DpaVote {
  counts: number[];
  prediction: number;
  /** ρ̄: insertions plus deletions of training samples that provably cannot change the vote. */
  radius: number;
}

export interface DpaEnsemble {
  models: Module[];
  /** The partition of each training sample. */
  partition: Int32Array;
  /** Training samples per partition. */
  sizes: Int32Array;
  /** Plurality vote and certificate for each input of a data set. */
  vote(inputs: Dataset): DpaVote[];
  dispose(): void;
}

/**
 * Trains k models on hash partitions of data with the victim's recipe. A partition with no
 * samples keeps its freshly built model (still a deterministic function of its empty content).
 */
export async function trainPartitioned(data: Dataset, recipe: TrainRecipe, o: DpaOptions): Promise<DpaEnsemble> {
  const k = o.partitions;
  const seed = o.seed ?? DPA_DEFAULTS.seed;
  const part = partitionOf(data, k);
  const members: number[][] = Array.from({ length: k }, () => []);
  const keys = Array.from({ length: data.length }, (_, i) => sampleHash(data, i).toString('hex'));
  part.forEach((p, i) => members[p].push(i));
  const models: Module[] = [];
  for (let p = 0; p < k; p++) {
    // canonical order: by content hash, so the model depends on the partition's samples only
    const idx = members[p].sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : a - b));
    const s = deriveSeed(seed, 'dpa', p);
    const model = recipe.build(s);
    if (idx.length) {
      await fit(model, data.subset(idx), { ...recipe, seed: s });
    }
    model.eval();
    models.push(model);
    o.onPartition?.(p + 1, k);
  }
  return {
    models,
    partition: part,
    sizes: Int32Array.from(members, (m) => m.length),
    vote: (inputs) => dpaVote(models, inputs),
    dispose: () => models.forEach((m) => m.dispose()),
  };
}

/** The plurality vote of the models on each input, with the DPA certificate. */
export function dpaVote(models: readonly Module[], inputs: Dataset, batchSize = 1000): DpaVote[] {
  const k = inputs.numClasses;
  const n = inputs.length;
  const d = inputs.imageSize;
  const counts = Array.from({ length: n }, () => new Array<number>(k).fill(0));
  noGrad(() => {
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      tidy(() => {
        const x = tensor(inputs.images.subarray(s * d, (s + b) * d), [b, ...inputs.shape], undefined, models[0]?.device);
        for (const m of models) {
          const pred = m.forward(x).argmax(1).toArray();
          for (let i = 0; i < b; i++) counts[s + i][pred[i]]++;
        }
      });
    }
  });
  return counts.map((c) => ({ counts: c, ...dpaCertificate(c) }));
}

/**
 * The catalog's dpa: the ensemble is trained with the victim's recipe, votes on every evaluated
 * set and is then disposed (its k models are not kept; the votes are the result).
 */
export const engine: TrainingDefense<{ partitions: number }> = {
  name: 'dpa',
  stage: 'training',
  async train(poisoned, o, ctx, sets) {
    const step = Math.max(1, Math.round(o.partitions / 10));
    ctx.log(`dpa: training ${o.partitions} partition models on ${poisoned.length} samples (about ${Math.round(poisoned.length / o.partitions)} each)`);
    const ens = await trainPartitioned(poisoned, ctx.recipe, {
      partitions: o.partitions,
      seed: ctx.seed,
      onPartition: (done, total) => void (done % step === 0 && done < total && ctx.log(`dpa: ${done}/${total} partition models trained`)),
    });
    try {
      const votes = Object.fromEntries(Object.entries(sets).map(([name, ds]) => [name, ens.vote(ds)]));
      const sizes = Array.from(ens.sizes).sort((a, b) => a - b);
      return { votes, detail: { partitions: o.partitions, partitionSize: { min: sizes[0], median: sizes[Math.floor(sizes.length / 2)], max: sizes[sizes.length - 1] } } };
    } finally {
      ens.dispose();
    }
  },
};
