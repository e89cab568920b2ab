// What the defense algorithms share: the shape of their answers where they act (their engines,
// one per catalog kind, are in engine.ts).
//
//   training set  filterTrainingSet(data, model, opts) → FilterResult  (activation clustering,
//                 spectral signatures, loss isolation): the victim trains again on `keep`;
//   training      trainPartitioned(data, opts) → DPA ensemble + certificate  (dpa.ts);
//   model         repair(model, cleanData, opts) → RepairResult  (fine-pruning, neural cleanse):
//                 the model is changed in place;
//   inputs        refuse / transform inputs  (STRIP: RefuseResult; ours: a fixed occlusion).
//
// Scores are oriented so that larger means more suspicious. Every defense takes a `seed` where it
// draws anything, so a run is reproducible from its config.
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import type { Objective } from '../train/index.js';

/** The answer of a training-set filter. */
export interface FilterResult {
  /** Indices (into the filtered data set) the victim keeps, ascending. */
  keep: Int32Array;
  /** Indices flagged as poison and removed, ascending. keep ∪ flagged = all, disjoint. */
  flagged: Int32Array;
  /** A suspicion score per sample (larger = more suspicious); NaN where a method scores none. */
  scores: Float32Array;
}

/** The answer of a test-time input filter for a batch of inputs. */
export interface RefuseResult {
  /** Per input: refused (sent to the fallback) or passed to the certifier. */
  refused: boolean[];
  /** The statistic the decision is based on, per input. */
  scores: Float32Array;
  /** Scores below `low` or above `high` are refused (either may be ±Infinity: one-sided). */
  threshold: { low: number; high: number };
}

/** The answer of a repair (the model is changed in place). */
export interface RepairResult {
  /** Human-readable facts for the report, e.g. pruned channels, the trigger's norm. */
  detail: Record<string, unknown>;
  seconds: number;
}

/** How the victim trains: the retraining after a filter, DPA's partition models, fine-tuning. */
export interface TrainRecipe {
  objective: Objective;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Builds a fresh model (seeded). */
  build(seed: number): Module;
}

export interface DataFilterOptions {
  /** Seed for every random choice (k-means initialisation, etc.). Default 0. */
  seed?: number;
}

/** The shape of a training-set filter (activation clustering, spectral signatures, loss isolation). */
export type DataFilter<O extends DataFilterOptions> = (data: Dataset, model: Module, opts?: O) => FilterResult;

/** keep/flagged from a boolean mask of flagged samples. */
export function splitByFlag(flag: ArrayLike<boolean | number>, scores: Float32Array): FilterResult {
  const keep: number[] = [];
  const flagged: number[] = [];
  for (let i = 0; i < flag.length; i++) (flag[i] ? flagged : keep).push(i);
  return { keep: Int32Array.from(keep), flagged: Int32Array.from(flagged), scores };
}
