// Runs a grid's runs here, one after another, each in its own run folder under the grid's folder:
// the shared loop of `abstain reproduce` and `reproduce --defenses` (a queue's workers run them
// elsewhere, src/queue/). The grid folder is locked for the whole loop and the writing of its
// tables, so one process at a time writes the grid's own files (results, timings, the cache).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/index.js';
import type { RunResult } from '../experiment/index.js';
import type { EngineOptions } from './commands.js';
import type { Io } from './io.js';

export interface GridRunDone<R> {
  run: R;
  result: RunResult;
  seconds: number;
}

/**
 * Runs every run (resuming or redoing as the engine options say), then calls `finish` with the
 * results and the total seconds while the grid folder is still locked. `cacheAll`: the cache
 * keeps the poisoned stages too (cells that share their undefended stages).
 */
export async function runGridHere<R extends { name: string; cfg: ExperimentConfig }>(
  out: string,
  runs: readonly R[],
  o: EngineOptions & { cacheAll?: boolean },
  io: Io,
  finish: (done: GridRunDone<R>[], totalSeconds: number) => Promise<void> | void,
): Promise<void> {
  // The engine loads only here: listing cells, enqueueing and --status need no libtorch.
  const { runExperiment, lockRunFolder } = await import('../experiment/index.js');
  const { engineIo } = await import('./commands.js');
  const { log, progress } = engineIo(io, o);
  mkdirSync(out, { recursive: true });
  const release = lockRunFolder(out);
  try {
    const done: GridRunDone<R>[] = [];
    const t0 = Date.now();
    for (const [i, run] of runs.entries()) {
      const t = Date.now();
      log(`[${i + 1}/${runs.length}] ${run.name}`);
      const result = await runExperiment(run.cfg, {
        log, progress, force: o.force, resume: o.force ? false : (o.resume ?? true), cache: join(out, 'cache'), ...(o.cacheAll ? { cacheAll: true } : {}),
      });
      done.push({ run, result, seconds: Number(((Date.now() - t) / 1000).toFixed(2)) });
    }
    await finish(done, (Date.now() - t0) / 1000);
  } finally {
    release();
  }
}
