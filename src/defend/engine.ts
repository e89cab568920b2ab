// The engines of the defense kinds: one interface per stage where a defense acts, each exported
// as `engine` from the defense's own file with `name` equal to its catalog name
// (src/catalog/defenses.ts). The runner's stage table (src/experiment/stages.ts) calls them:
//   data      filter(poisoned, victim, options, ctx) → FilterResult: the victim is trained again
//             without the flagged samples (the `defended` stage);
//   training  train(poisoned, options, ctx, sets) → the votes and certificates of the ensemble on
//             the evaluated inputs (its models are not kept);
//   model     repair(model, options, ctx): the model is changed in place;
//   input     prepare(model, options, ctx) → refuse(ds) and/or transform(ds), applied to every
//             input before the certifier (a refused input goes to the fallback).
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import type { DpaVote } from './dpa.js';
import type { FilterResult, TrainRecipe } from './types.js';

/** What a defense may read from the run. */
export interface DefenseContext {
  /** The run's seed (each defense derives its own streams from it). */
  seed: number;
  /** How the victim trains: its objective, epochs, batch size and learning rate, and a seeded builder of its architecture on the run's device. */
  recipe: TrainRecipe;
  /** The defender's held-out clean data: defense.cleanSamples test images, none of them evaluated. */
  clean: Dataset;
  numClasses: number;
  /** The smoothing certifier's σ and deployment radius, when smoothing is configured. */
  certifier?: { sigma: number; deploymentRadius: number };
  /** `count` further held-out test inputs as the deployed system sees them: a share `triggerShare` carries the attacker's trigger (the defense reads only the images). */
  traffic(count: number, triggerShare: number): Dataset;
  log: (line: string) => void;
}

/** Facts for the report: small JSON values only. */
export type DefenseDetail = Record<string, unknown>;

interface EngineBase {
  /** The name it is registered under in the catalog. */
  name: string;
}

export interface DataDefense<O = Record<string, unknown>> extends EngineBase {
  stage: 'data';
  /** Flags suspected poison in the poisoned training set, looking at the victim trained on it. */
  filter(poisoned: Dataset, victim: Module, options: O, ctx: DefenseContext): Promise<FilterResult & { detail?: DefenseDetail }>;
}

/** A training defense's answers on the evaluated inputs. */
export interface TrainingDefenseResult {
  /** Per evaluated set (clean, trigger): the vote counts, the answer and its certified poisoning radius. */
  votes: Record<string, DpaVote[]>;
  detail: DefenseDetail;
}

export interface TrainingDefense<O = Record<string, unknown>> extends EngineBase {
  stage: 'training';
  /** Trains the defended system on the poisoned set and answers, with its certificate, on each evaluated set. */
  train(poisoned: Dataset, options: O, ctx: DefenseContext, sets: Record<string, Dataset>): Promise<TrainingDefenseResult>;
}

export interface ModelDefense<O = Record<string, unknown>> extends EngineBase {
  stage: 'model';
  /** Repairs the model in place; returns what it did. */
  repair(model: Module, options: O, ctx: DefenseContext): Promise<DefenseDetail>;
}

/** An input defense, set up on the model it protects. */
export interface PreparedInputDefense {
  /** Per input: refused (sent to the fallback) or passed on. */
  refuse?(ds: Dataset): boolean[];
  /** The inputs as the certifier gets them. */
  transform?(ds: Dataset): Dataset;
  /** JSON parameters from which the engine's `restore` rebuilds `transform` (written to the stage's artefact). */
  params?: unknown;
  detail: DefenseDetail;
}

export interface InputDefense<O = Record<string, unknown>> extends EngineBase {
  stage: 'input';
  prepare(model: Module, options: O, ctx: DefenseContext): Promise<PreparedInputDefense>;
  /** The transform from the parameters a prepared defense recorded (when its artefact is read back). */
  restore?(params: unknown): (ds: Dataset) => Dataset;
}

export type DefenseEngine<O = Record<string, unknown>> = DataDefense<O> | TrainingDefense<O> | ModelDefense<O> | InputDefense<O>;
