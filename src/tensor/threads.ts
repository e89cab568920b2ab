// Intra-op thread count. libtorch's default can be 1 under some OpenMP set-ups, so abstain sets
// it to the machine's cores unless ABSTAIN_THREADS says otherwise.
import { availableParallelism } from 'node:os';
import { native } from './native.js';

export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`thread count must be a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export const getNumThreads = (): number => native.getNumThreads();
export const torchVersion = (): string => native.torchVersion();

export function defaultThreads(): number {
  const env = Number(process.env.ABSTAIN_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}
setNumThreads(defaultThreads());
