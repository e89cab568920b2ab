// `abstain reproduce`: runs every cell of the grid as its own run folder under one folder (so an
// interrupted grid resumes cell by cell), then writes one results table like the paper's
// (results.md, results.html, printed too), the fallback/certified-wrong vs poison rate plot and
// report.html.
//
// Stages that do not depend on the poison (the unpoisoned baseline and its certificates) are the
// same in many cells: the runner keeps them in a cache (<out>/cache/) keyed by their stage hash,
// so each is computed once per grid. With --seeds N every cell runs under N seeds (run folders
// <cell>-seed<S>) and the table shows mean ± standard deviation. With --queue the runs go to a
// job queue (src/queue/) for `abstain worker`s, possibly on other machines, and the table is
// assembled from their results by the same code (reproduce-results.ts).
import { join, resolve } from 'node:path';
import { loadConfig, type Overrides } from '../config/index.js';
import type { EngineOptions } from './commands.js';
import { runGridHere } from './grid-run.js';
import { CliError, UsageError, type Io } from './io.js';
import { gridCells, SCALES, type GridFilter, type Scale } from './reproduce-grid.js';
import { writeGridResults, type GridPlan, type PlannedRun, type RunOutcome } from './reproduce-results.js';

export interface ReproduceOptions extends EngineOptions {
  scale: Scale['name'];
  out?: string;
  filter: GridFilter;
  /** List the cells and exit. */
  list?: boolean;
  /** Seeds per cell (default 1): seeds s, s+1, ..., s+N-1 from the config's seed s. */
  seeds?: number;
  /** A Redis URL: hand the runs to `abstain worker`s through this queue instead of running them here. */
  queue?: string;
  /** With queue: only show the progress (and write the table when every run is done); enqueue nothing. */
  status?: boolean;
  /** With queue: wait until every run is done (or failed), then write the table. */
  wait?: boolean;
  /** With queue: tries per run before it counts as failed (default 3). */
  attempts?: number;
  /** With queue: seconds before the first retry of a failed run, doubled for each further one (default 10). */
  retryDelay?: number;
}

/** Every run's validated config (all checked before any work starts); `absolute`: the results folder as an absolute path. */
export function planGrid(o: Pick<ReproduceOptions, 'scale' | 'out' | 'filter' | 'seeds'> & { absolute?: boolean }, user: Overrides): GridPlan {
  const scale = SCALES[o.scale];
  if (!scale) throw new CliError(`--scale ${o.scale}: unknown; use ${Object.keys(SCALES).join(', ')}`);
  const seeds = o.seeds ?? 1;
  if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds ${o.seeds}: give a positive whole number of seeds per cell`);
  const dir = o.out ?? join('runs', `reproduce-${scale.name}`);
  const out = o.absolute ? resolve(dir) : dir;
  const cells = gridCells(scale, o.filter);
  if (!cells.length) throw new CliError('reproduce: the filters leave no cell of the grid; check --datasets, --attacks, --rates and --certifiers');
  const { outDir: _o, name: _n, ...rest } = user;
  const runs: PlannedRun[] = cells.flatMap((cell) => {
    const fields: Overrides = { ...scale.base, ...cell.datasetDefaults, ...rest, ...cell.overrides, outDir: out };
    const first = loadConfig({}, { ...fields, name: cell.name });
    if (seeds === 1) return [{ cell, seed: first.seed, name: cell.name, cfg: first }];
    return Array.from({ length: seeds }, (_, i) => {
      const seed = first.seed + i;
      const name = `${cell.name}-seed${seed}`;
      return { cell, seed, name, cfg: loadConfig({}, { ...fields, seed, name }) };
    });
  });
  return { scale, out, cells, seeds, runs };
}

export async function reproduce(o: ReproduceOptions, user: Overrides, io: Io): Promise<number> {
  if (!o.queue && (o.status || o.wait)) throw new UsageError(`--${o.status ? 'status' : 'wait'} needs --queue redis://HOST:PORT (the queue the grid was handed to)`);
  if (o.queue && o.force) throw new UsageError('--force cannot be used with --queue: a queued run is never computed twice; remove its run folder (or use another --out) to redo it');
  // A queue's workers may run on other machines: the configs they get name the results folder absolutely.
  const plan = planGrid({ ...o, absolute: !!o.queue }, user);
  const { scale, out, runs } = plan;
  if (o.list) {
    const seeds = plan.seeds > 1 ? ` × ${plan.seeds} seeds = ${runs.length} runs` : '';
    io.out.write(`${scale.name}: ${scale.description}\n${plan.cells.length} cells${seeds} under ${out}:\n`);
    for (const r of runs) io.out.write(`  ${r.name}\n`);
    return 0;
  }
  if (o.queue) {
    const { reproduceOnQueue } = await import('./reproduce-queue.js');
    return reproduceOnQueue(plan, { queue: o.queue, status: o.status, wait: o.wait, attempts: o.attempts ?? 3, retryDelayMs: (o.retryDelay ?? 10) * 1000 }, io);
  }
  await runGridHere(out, runs, o, io, async (done, seconds) => {
    const outcomes = new Map<string, RunOutcome>(
      done.map(({ run, result, seconds: s }) => [run.name, { run: run.name, seed: run.seed, summary: result.summary, seconds: s, skipped: result.skipped }]),
    );
    await writeGridResults(plan, outcomes, seconds, io);
  });
  return 0;
}
