// Intra-op thread count. libtorch's default can be 1 under some OpenMP set-ups, so abstain sets
// it to the machine's cores unless ABSTAIN_THREADS says otherwise. A value that is not a
// positive integer, or far more threads than cores (each OpenMP thread costs memory and
// scheduling; 100000 threads turned a 3-second job into 11 minutes), is not taken silently: it is
// replaced with a warning on stderr.
import { availableParallelism } from 'node:os';
import { native } from './native.js';

/** At most this many threads per core (oversubscription beyond it only slows libtorch down). */
export const MAX_THREADS_PER_CORE = 4;

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export const getNumThreads = (): number => native.getNumThreads();
export const torchVersion = (): string => native.torchVersion();

/** The thread count for ABSTAIN_THREADS (unset or empty: the cores), and a warning when the value was not usable as given. */
export function threadsFor(value: string | undefined, cores = availableParallelism()): { threads: number; warning?: string } {
  if (value === undefined || value.trim() === '') return { threads: cores };
  const v = value.trim();
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    return { threads: cores, warning: `ABSTAIN_THREADS=${value} is not a positive whole number; using ${cores} thread${cores === 1 ? '' : 's'} (one per core)` };
  }
  const max = MAX_THREADS_PER_CORE * cores;
  if (n > max) {
    return { threads: max, warning: `ABSTAIN_THREADS=${v} is more than ${MAX_THREADS_PER_CORE} threads per core (${cores} core${cores === 1 ? '' : 's'}); using ${max}` };
  }
  return { threads: n };
}

export function defaultThreads(): number {
  return threadsFor(process.env.ABSTAIN_THREADS).threads;
}

const chosen = threadsFor(process.env.ABSTAIN_THREADS);
if (chosen.warning) process.stderr.write(`abstain: warning: ${chosen.warning}\n`);
setNumThreads(chosen.threads);
