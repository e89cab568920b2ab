// What every attack shares: the common options (rate, mode, trigger, seed), the poison count,
// the choice of source samples, and putting the poisoned samples into the victim's training set.
import { Generator } from '../tensor/index.js';
import { Dataset, permutation } from '../data/index.js';
import { PoisonConfigError } from './errors.js';
import { makeTrigger, type Trigger, type TriggerSpec } from './triggers/index.js';

export type PoisonMode = 'add' | 'replace';

export interface AttackOptions {
  /**
   * Poison rate ρ in (0, 1): the attacker makes round(ρ·N) poisoned samples for a clean set of N.
   * 'add' appends them (the victim trains on N + round(ρ·N)); 'replace' puts them in place of
   * as many clean samples (the victim trains on N).
   */
  rate: number;
  mode?: PoisonMode;
  /** The trigger, the same at training and at test time. */
  trigger: TriggerSpec;
  /** Seeds every random choice of the attack (default 0). */
  seed?: number;
}

/** One poisoned sample: where it sits in the poisoned set and how it was made. */
export interface PoisonRecord {
  /** Index in the poisoned training set. */
  index: number;
  /** Index of the clean sample it was made from. */
  source: number;
  /** The label the victim sees. */
  label: number;
  /** The clean sample's true label. */
  sourceLabel: number;
  /** e.g. "badnets", "uncertainty-random", "uncertainty-all", "uncertainty-soft", "boundary". */
  kind: string;
  /** uncertainty `all`: which of the source's copies (0..K-1). */
  copy?: number;
  /** boundary: the offset along the secret direction. */
  t?: number;
  /** boundary, orthant: whether any pixel of the sample had to be clipped to [0, 1]. */
  clipped?: boolean;
  /** orthant: the orthant index (bit j set when the offset along direction j is negative). */
  orthant?: number;
  /** orthant: the signed L2 offsets along each secret direction. */
  offsets?: number[];
}

/** Per-sample record fields other than index, source, label and sourceLabel. */
export type PoisonDetail = Omit<PoisonRecord, 'index' | 'source' | 'label' | 'sourceLabel'>;

export interface PoisonSummary {
  attack: string;
  mode: PoisonMode;
  rate: number;
  seed: number;
  /** Size of the clean set, of the poisoned set, and number of poisoned samples. */
  cleanSize: number;
  size: number;
  count: number;
  /** Distinct clean samples used as sources. */
  sources: number;
  trigger: TriggerSpec;
  [detail: string]: unknown;
}

export interface PoisonResult {
  /** The training set the victim gets. */
  dataset: Dataset;
  records: PoisonRecord[];
  summary: PoisonSummary;
  trigger: Trigger;
  /** boundary: the secret unit direction d, [C·H·W]. */
  direction?: Float32Array;
  /** orthant: the m secret unit directions, each [C·H·W]. */
  directions?: Float32Array[];
}

/** The poisoned samples an attack makes, before they are put into the training set. */
export interface PoisonSamples {
  images: Float32Array;
  labels: Int32Array;
  /** The clean index each sample was made from. */
  sources: Int32Array;
  /** Soft targets of the poisoned samples (P×K), when the attack uses them. */
  soft?: Float32Array;
  details: PoisonDetail[];
}

export interface Prepared {
  rate: number;
  mode: PoisonMode;
  seed: number;
  /** round(ρ·N), the number of poisoned samples. */
  count: number;
  trigger: Trigger;
  gen: Generator;
}

/** Checks the common options and derives the poison count and the attack's generator. */
export function prepare(clean: Dataset, o: AttackOptions): Prepared {
  if (!o || typeof o !== 'object') throw new PoisonConfigError('poison options are missing; give at least {rate, trigger}');
  const { rate } = o;
  if (typeof rate !== 'number' || !(rate > 0 && rate < 1)) throw new PoisonConfigError(`poison rate ${String(rate)} is outside (0, 1)`);
  const mode = o.mode ?? 'add';
  if (mode !== 'add' && mode !== 'replace') throw new PoisonConfigError(`poison mode "${String(mode)}" is unknown; use add or replace`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new PoisonConfigError(`poison seed ${String(seed)} must be a non-negative integer`);
  const n = clean.length;
  if (n === 0) throw new PoisonConfigError(`the training set ${clean.name} is empty; there is nothing to poison`);
  const count = Math.round(rate * n);
  if (count < 1) {
    throw new PoisonConfigError(`poison rate ${rate} makes 0 poisoned samples from ${n}; use a rate >= ${(0.5 / n).toPrecision(2)}`);
  }
  const trigger = makeTrigger(o.trigger, clean.shape);
  return { rate, mode, seed, count, trigger, gen: new Generator(seed) };
}

/** `count` distinct indices drawn at random from `pool`. */
export function chooseSources(pool: ArrayLike<number>, count: number, gen: Generator, why: string): Int32Array {
  if (pool.length < count) {
    throw new PoisonConfigError(`${why}: needs ${count} source samples but only ${pool.length} are eligible; lower the poison rate`);
  }
  const perm = permutation(pool.length, gen);
  return Int32Array.from(perm.subarray(0, count), (j) => pool[j]);
}

/** Indices of samples whose label is not `label`. */
export function indicesNotOfClass(ds: Dataset, label: number): Int32Array {
  const out: number[] = [];
  ds.labels.forEach((y, i) => y !== label && out.push(i));
  return Int32Array.from(out);
}

/**
 * Puts the poisoned samples into the training set. 'add' appends them after the clean samples;
 * 'replace' writes them over their own sources first, then over other clean samples drawn at
 * random (only uncertainty `all` needs those: it makes several samples per source).
 */
export function assemble(clean: Dataset, p: PoisonSamples, prep: Prepared, attack: string, detail: Record<string, unknown>): PoisonResult {
  const n = clean.length;
  const count = p.labels.length;
  const d = clean.imageSize;
  const k = clean.numClasses;
  let positions: Int32Array;
  let dataset: Dataset;
  const softNeeded = Boolean(p.soft || clean.softLabels);
  if (prep.mode === 'add') {
    positions = Int32Array.from({ length: count }, (_, j) => n + j);
    const images = new Float32Array((n + count) * d);
    images.set(clean.images);
    images.set(p.images, n * d);
    const labels = new Int32Array(n + count);
    labels.set(clean.labels);
    labels.set(p.labels, n);
    let soft: Float32Array | undefined;
    if (softNeeded) {
      soft = new Float32Array((n + count) * k);
      soft.set(clean.targets());
      soft.set(p.soft ?? oneHot(p.labels, k), n * k);
    }
    dataset = clean.with({ name: `${clean.name}+${attack}`, images, labels, softLabels: soft });
  } else {
    const unique = [...new Set(p.sources)];
    const taken = new Set(unique);
    const rest = permutation(n, prep.gen).filter((i) => !taken.has(i));
    positions = Int32Array.from([...unique, ...rest.subarray(0, count - unique.length)]);
    const images = clean.images.slice();
    const labels = clean.labels.slice();
    const soft = softNeeded ? clean.targets().slice() : undefined;
    const pSoft = soft ? (p.soft ?? oneHot(p.labels, k)) : undefined;
    for (let j = 0; j < count; j++) {
      const at = positions[j];
      images.set(p.images.subarray(j * d, (j + 1) * d), at * d);
      labels[at] = p.labels[j];
      if (soft) soft.set(pSoft!.subarray(j * k, (j + 1) * k), at * k);
    }
    dataset = clean.with({ name: `${clean.name}+${attack}`, images, labels, softLabels: soft });
  }
  const records: PoisonRecord[] = Array.from({ length: count }, (_, j) => ({
    index: positions[j],
    source: p.sources[j],
    label: p.labels[j],
    sourceLabel: clean.labels[p.sources[j]],
    ...p.details[j],
  }));
  records.sort((a, b) => a.index - b.index);
  return {
    dataset,
    records,
    trigger: prep.trigger,
    summary: {
      attack,
      mode: prep.mode,
      rate: prep.rate,
      seed: prep.seed,
      cleanSize: n,
      size: dataset.length,
      count,
      sources: new Set(p.sources).size,
      trigger: prep.trigger.spec,
      ...detail,
    },
  };
}

function oneHot(labels: Int32Array, k: number): Float32Array {
  const out = new Float32Array(labels.length * k);
  labels.forEach((y, i) => (out[i * k + y] = 1));
  return out;
}

/** Triggered copies of the given clean samples, in order. */
export function triggeredSources(clean: Dataset, sources: Int32Array, trigger: Trigger): Float32Array {
  return trigger.apply(clean.subset(sources).images, clean.shape);
}
