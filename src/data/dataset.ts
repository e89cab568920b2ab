// The Dataset: images as NCHW float32 in [0, 1] with integer labels, held in typed arrays (no
// native memory) until a batch is made. Subsets, deterministic splits and seeded batching.
import { Generator, tensor, type Device, type Tensor } from '../tensor/index.js';
import { DataError } from './errors.js';
import { permutation, toGenerator } from './random.js';

/** [channels, height, width] of one image. */
export type ImageShape = [number, number, number];

export interface DatasetInit {
  name: string;
  /** N×C×H×W values in [0, 1], row-major. */
  images: Float32Array;
  labels: Int32Array;
  shape: ImageShape;
  classNames: string[];
  /** Optional soft targets, N×K rows (each a distribution over the K classes). */
  softLabels?: Float32Array;
  /** Index of each sample in the split it was loaded from (absent: sample i is index i). */
  origin?: Int32Array;
}

export class Dataset {
  readonly name: string;
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly shape: ImageShape;
  readonly classNames: string[];
  readonly softLabels?: Float32Array;
  readonly origin?: Int32Array;

  constructor(init: DatasetInit) {
    const { name, images, labels, shape, classNames, softLabels, origin } = init;
    if (shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new DataError(`dataset ${name}: shape [${shape.join(', ')}] must be [channels, height, width] of positive integers`);
    }
    if (classNames.length < 1) throw new DataError(`dataset ${name}: needs at least one class name`);
    const d = shape[0] * shape[1] * shape[2];
    if (images.length !== labels.length * d) {
      throw new DataError(`dataset ${name}: ${images.length} pixel values do not fit ${labels.length} images of [${shape.join(', ')}]`);
    }
    const k = classNames.length;
    for (let i = 0; i < labels.length; i++) {
      if (!(labels[i] >= 0 && labels[i] < k)) {
        throw new DataError(`dataset ${name}: label ${labels[i]} at index ${i} is outside 0..${k - 1}`);
      }
    }
    if (softLabels && softLabels.length !== labels.length * k) {
      throw new DataError(`dataset ${name}: softLabels has ${softLabels.length} values, expected ${labels.length}×${k}`);
    }
    if (origin && origin.length !== labels.length) {
      throw new DataError(`dataset ${name}: origin has ${origin.length} indices for ${labels.length} samples`);
    }
    this.name = name;
    this.images = images;
    this.labels = labels;
    this.shape = [shape[0], shape[1], shape[2]];
    this.classNames = classNames;
    if (softLabels) this.softLabels = softLabels;
    if (origin) this.origin = origin;
  }

  get length(): number {
    return this.labels.length;
  }
  get numClasses(): number {
    return this.classNames.length;
  }
  /** Values per image (C·H·W). */
  get imageSize(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }
  /** Image i as a view into `images` (not a copy). */
  image(i: number): Float32Array {
    const d = this.imageSize;
    return this.images.subarray(i * d, (i + 1) * d);
  }
  /** Images per class. */
  classCounts(): Int32Array {
    const c = new Int32Array(this.numClasses);
    for (const y of this.labels) c[y]++;
    return c;
  }
  /** Index of sample i in the split it was loaded from (where to find it in the original files). */
  originIndex(i: number): number {
    return this.origin ? this.origin[i] : i;
  }
  /**
   * The same data set with some fields replaced (arrays are shared, not copied). New labels mean
   * new samples, so the origin indices go unless given too.
   */
  with(changes: Partial<DatasetInit>): Dataset {
    const keepOrigin = !changes.labels || 'origin' in changes;
    return new Dataset({ ...this.init(), ...(keepOrigin ? {} : { origin: undefined }), ...changes });
  }
  /** A copy of the samples at `indices`, in that order. */
  subset(indices: ArrayLike<number>, name = this.name): Dataset {
    const d = this.imageSize;
    const k = this.numClasses;
    const n = indices.length;
    const images = new Float32Array(n * d);
    const labels = new Int32Array(n);
    const soft = this.softLabels ? new Float32Array(n * k) : undefined;
    const origin = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      const i = indices[j];
      if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
        throw new DataError(`dataset ${this.name}: index ${i} is outside 0..${this.length - 1}`);
      }
      images.set(this.images.subarray(i * d, (i + 1) * d), j * d);
      labels[j] = this.labels[i];
      origin[j] = this.originIndex(i);
      if (soft) soft.set(this.softLabels!.subarray(i * k, (i + 1) * k), j * k);
    }
    return new Dataset({ ...this.init(), name, images, labels, softLabels: soft, origin });
  }
  /** Soft targets for every row: `softLabels` when set, otherwise one-hot of the labels. */
  targets(): Float32Array {
    if (this.softLabels) return this.softLabels;
    const k = this.numClasses;
    const t = new Float32Array(this.length * k);
    for (let i = 0; i < this.length; i++) t[i * k + this.labels[i]] = 1;
    return t;
  }
  private init(): DatasetInit {
    const { name, images, labels, shape, classNames, softLabels, origin } = this;
    return { name, images, labels, shape, classNames, softLabels, origin };
  }
}

/** The samples of several data sets one after another (same shape and classes). */
export function concat(parts: Dataset[], name = parts[0]?.name ?? 'concat'): Dataset {
  if (!parts.length) throw new DataError('concat: no data sets given');
  const [first] = parts;
  for (const p of parts) {
    if (p.shape.join() !== first.shape.join() || p.classNames.join('\u0000') !== first.classNames.join('\u0000')) {
      throw new DataError(`concat: ${p.name} ([${p.shape.join(', ')}], ${p.numClasses} classes) does not match ${first.name} ([${first.shape.join(', ')}], ${first.numClasses} classes)`);
    }
  }
  const n = parts.reduce((a, p) => a + p.length, 0);
  const d = first.imageSize;
  const images = new Float32Array(n * d);
  const labels = new Int32Array(n);
  const anySoft = parts.some((p) => p.softLabels);
  const soft = anySoft ? new Float32Array(n * first.numClasses) : undefined;
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * d);
    labels.set(p.labels, at);
    if (soft) soft.set(p.targets(), at * first.numClasses);
    at += p.length;
  }
  return new Dataset({ name, images, labels, shape: first.shape, classNames: first.classNames, softLabels: soft });
}

/**
 * Splits into disjoint parts after a seeded shuffle. `sizes` are fractions in (0, 1) summing to
 * at most 1 (a sum of 1 hands out every sample, by largest remainder) or counts summing to at
 * most N. Each part keeps the original order of its samples.
 */
export function split(ds: Dataset, sizes: number[], seed: number | Generator = 0): Dataset[] {
  const n = ds.length;
  if (!sizes.length) throw new DataError('split: give at least one fraction or count');
  let counts: number[];
  if (sizes.every((s) => s > 0 && s < 1)) {
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total > 1 + 1e-9) throw new DataError(`split: fractions ${sizes.join(', ')} sum to ${total}, more than 1`);
    counts = Math.abs(total - 1) < 1e-9 ? largestRemainder(sizes, n) : sizes.map((f) => Math.floor(f * n));
  } else if (sizes.every((s) => Number.isInteger(s) && s >= 0)) {
    counts = sizes;
    const total = counts.reduce((a, b) => a + b, 0);
    if (total > n) throw new DataError(`split: counts ${sizes.join(', ')} sum to ${total}, more than the ${n} samples of ${ds.name}`);
  } else {
    throw new DataError(`split: sizes ${sizes.join(', ')} must be all fractions in (0, 1) or all non-negative integer counts`);
  }
  const perm = permutation(n, toGenerator(seed));
  const parts: Dataset[] = [];
  let at = 0;
  counts.forEach((c, j) => {
    const idx = perm.slice(at, at + c).sort();
    at += c;
    parts.push(ds.subset(idx, `${ds.name}[split ${j}]`));
  });
  return parts;
}

/** Integer shares of n proportional to weights that sum to exactly n (largest remainder). */
function largestRemainder(weights: number[], n: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / total) * n);
  const counts = exact.map(Math.floor);
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

/**
 * n samples: without a seed the first n; with a seed a stratified sample (each class in
 * proportion to its share, chosen at random), kept in the original order.
 */
export function take(ds: Dataset, n: number, seed?: number | Generator): Dataset {
  if (!Number.isInteger(n) || n < 0) throw new DataError(`take: n must be a non-negative integer, got ${n}`);
  if (n >= ds.length) return ds;
  if (seed === undefined) return ds.subset(Int32Array.from({ length: n }, (_, i) => i), ds.name);
  const gen = toGenerator(seed);
  const byClass: number[][] = Array.from({ length: ds.numClasses }, () => []);
  ds.labels.forEach((y, i) => byClass[y].push(i));
  const present = byClass.map((c) => c.length);
  const quota = largestRemainder(present, n);
  const chosen: number[] = [];
  byClass.forEach((members, c) => {
    if (!members.length) return;
    const perm = permutation(members.length, gen);
    for (let j = 0; j < quota[c]; j++) chosen.push(members[perm[j]]);
  });
  return ds.subset(Int32Array.from(chosen).sort(), ds.name);
}

export interface BatchOptions {
  batchSize: number;
  /** Visit samples in a seeded random order (needs `generator` or `seed`). */
  shuffle?: boolean;
  /** Continue an existing stream (e.g. the training run's), so successive epochs differ. */
  generator?: Generator;
  seed?: number;
  /** Skip a last batch smaller than batchSize. */
  dropLast?: boolean;
  /** Where the batch tensors are made (default the CPU; pass the model's, `model.device`). */
  device?: Device;
}

export interface Batch {
  /** [B, C, H, W] float32. */
  x: Tensor;
  /** [B] int64 class indices. */
  y: Tensor;
  /** [B, K] float32 soft targets, when the data set has softLabels. */
  soft?: Tensor;
  /** Which samples of the data set are in this batch. */
  indices: Int32Array;
}

/**
 * Batches as tensors. Each batch's tensors belong to the caller (dispose them or run the loop
 * body in tidy); the data set itself stays in JS memory.
 */
export function* batches(ds: Dataset, o: BatchOptions): IterableIterator<Batch> {
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new DataError(`batches: batchSize must be a positive integer, got ${o.batchSize}`);
  let order: Int32Array;
  if (o.shuffle) {
    if (!o.generator && o.seed === undefined) throw new DataError('batches: shuffle needs a generator or a seed (so the order is reproducible)');
    order = permutation(ds.length, o.generator ?? new Generator(o.seed!));
  } else {
    order = Int32Array.from({ length: ds.length }, (_, i) => i);
  }
  const d = ds.imageSize;
  const k = ds.numClasses;
  const [c, hh, w] = ds.shape;
  for (let at = 0; at < order.length; at += o.batchSize) {
    const indices = order.slice(at, at + o.batchSize);
    const b = indices.length;
    if (o.dropLast && b < o.batchSize) break;
    const xs = new Float32Array(b * d);
    const ys = new BigInt64Array(b);
    const soft = ds.softLabels ? new Float32Array(b * k) : undefined;
    for (let j = 0; j < b; j++) {
      const i = indices[j];
      xs.set(ds.images.subarray(i * d, (i + 1) * d), j * d);
      ys[j] = BigInt(ds.labels[i]);
      if (soft) soft.set(ds.softLabels!.subarray(i * k, (i + 1) * k), j * k);
    }
    const batch: Batch = { x: tensor(xs, [b, c, hh, w], undefined, o.device), y: tensor(ys, [b], 'int64', o.device), indices };
    if (soft) batch.soft = tensor(soft, [b, k], undefined, o.device);
    yield batch;
  }
}
