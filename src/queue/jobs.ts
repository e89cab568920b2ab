// What travels through the queue: one job per run (a grid cell under one seed). The job's data is
// the run's whole validated config; its id is the hash of that config, so enqueueing the same
// grid again adds nothing and a run is never computed twice; its return value is the run's
// summary, from which `abstain reproduce --queue` assembles the table.
import { createHash } from 'node:crypto';
import { canonicalJson, type ExperimentConfig } from '../config/index.js';
import type { Summary } from '../pipeline/index.js';

export interface RunJobData {
  /** The run folder's name (config.name), for logs and --status. */
  run: string;
  seed: number;
  /** The resolved config; config.outDir is the shared results folder as the enqueuer sees it. */
  config: ExperimentConfig;
  /** abstain's version on the machine that enqueued the job (a worker of another version says so). */
  abstain: string;
}

export interface RunJobResult {
  run: string;
  seed: number;
  summary: Summary;
  /** Seconds this attempt took (resumed stages are not counted again). */
  seconds: number;
  /** Stages found up to date (a resumed attempt) or taken from the shared cache. */
  skipped: string[];
  /** host:pid of the worker that finished the run. */
  worker: string;
}

/**
 * The job id of a run: a hash of its whole resolved config (results folder, name and seed
 * included). BullMQ ids may not be plain integers nor contain ':', hence the prefix.
 */
export function runJobId(cfg: ExperimentConfig): string {
  return `run-${createHash('sha256').update(canonicalJson(cfg)).digest('hex').slice(0, 32)}`;
}
