// `abstain reproduce --queue … --status`: the counts of a grid's runs (done, running, waiting,
// failed), an estimate of the time left, and a line for each run that is running or has failed.
import type { RunPhase, RunState } from './grid.js';

export interface GridProgress {
  total: number;
  counts: Record<RunPhase, number>;
  /** Workers connected to the queue (each runs one run at a time). */
  workers: number;
  /** Mean seconds of the runs done so far (by the attempt that finished them); null before the first. */
  meanSeconds: number | null;
  /** Seconds until every run is done, null when it cannot be estimated (nothing done yet, or no worker). */
  etaSeconds: number | null;
}

/**
 * Counts the phases and estimates the time left: the runs still to do (waiting and retrying
 * ones in full, running ones at half) times the mean time of a finished run, shared among the
 * workers (or among the running runs, when more are running than workers are connected).
 */
export function gridProgress(states: readonly RunState[], workers: number): GridProgress {
  const counts: Record<RunPhase, number> = { done: 0, running: 0, waiting: 0, retrying: 0, failed: 0, missing: 0 };
  for (const s of states) counts[s.phase]++;
  const times = states.filter((s) => s.phase === 'done' && s.result).map((s) => s.result!.seconds);
  const meanSeconds = times.length ? times.reduce((a, b) => a + b, 0) / times.length : null;
  const parallel = Math.max(workers, counts.running);
  const left = counts.waiting + counts.retrying + counts.running / 2;
  const etaSeconds = meanSeconds === null || parallel === 0 ? null : left === 0 ? 0 : (meanSeconds * left) / parallel;
  return { total: states.length, counts, workers, meanSeconds, etaSeconds };
}

function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** One line of counts and the estimate. */
export function progressLine(p: GridProgress): string {
  const c = p.counts;
  const parts = [`${c.done}/${p.total} done`, `${c.running} running`, `${c.failed} failed`, `${c.waiting + c.retrying} waiting${c.retrying ? ` (${c.retrying} to retry after an error)` : ''}`];
  if (c.missing) parts.push(`${c.missing} not in the queue`);
  let eta: string;
  if (c.done === p.total) eta = 'all done';
  else if (p.workers === 0 && c.running === 0) eta = 'no worker connected';
  else if (p.etaSeconds === null) eta = 'ETA after the first run finishes';
  else eta = `ETA ~${duration(p.etaSeconds)} (${p.workers} worker${p.workers === 1 ? '' : 's'}, ${duration(p.meanSeconds!)} per run)`;
  return `${parts.join(', ')}; ${eta}`;
}

/** The lines under the counts: each running run with its worker, each failed or retrying run with its error. */
export function detailLines(states: readonly RunState[], names: ReadonlyMap<string, string>, now = Date.now()): string[] {
  const lines: string[] = [];
  for (const s of states) {
    const name = names.get(s.id) ?? s.id;
    if (s.phase === 'running') lines.push(`  running  ${name} on ${s.worker ?? 'a worker'}${s.startedAt ? ` for ${duration((now - s.startedAt) / 1000)}` : ''}`);
    if (s.phase === 'failed') lines.push(`  failed   ${name} (started ${s.attemptsStarted} time${s.attemptsStarted === 1 ? '' : 's'}): ${s.error ?? 'no error recorded'}`);
    if (s.phase === 'retrying') lines.push(`  retrying ${name} after an error: ${s.error}`);
  }
  return lines;
}
