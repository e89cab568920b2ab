// `abstain worker --concurrency N`: N worker processes on this machine, each running one run at a
// time with its share of the cores (ABSTAIN_THREADS = cores / N unless set). Processes, not
// BullMQ's in-process concurrency: every tensor op blocks the one JavaScript thread it runs on,
// so two runs in one process would take turns instead of running side by side. The children
// stop with this process (SIGTERM and Ctrl-C are passed on; a child whose parent is gone stops
// through its IPC channel).
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface PoolOptions {
  /** Worker processes to start. */
  concurrency: number;
  /** The abstain script and the worker's arguments without --concurrency. */
  script: string;
  args: string[];
  log: (line: string) => void;
}

/** The threads each of n workers gets: ABSTAIN_THREADS when set, else an equal share of the cores (at least 1). */
export function threadsPerWorker(n: number, env: NodeJS.ProcessEnv = process.env, cores = availableParallelism()): number {
  const set = Number(env.ABSTAIN_THREADS);
  return Number.isInteger(set) && set > 0 ? set : Math.max(1, Math.floor(cores / n));
}

/** Starts the workers and resolves when all have exited: 0 when every one exited 0. */
export function runPool(o: PoolOptions): Promise<number> {
  const threads = threadsPerWorker(o.concurrency);
  o.log(`pool: ${o.concurrency} worker processes, ${threads} thread${threads === 1 ? '' : 's'} each`);
  const children: ChildProcess[] = [];
  return new Promise((resolveAll) => {
    let left = o.concurrency;
    let worst = 0;
    for (let i = 0; i < o.concurrency; i++) {
      // Own process group (detached): a Ctrl-C at the terminal reaches only this process, which passes it on once.
      const child = fork(o.script, [...o.args, '--concurrency', '1'], { env: { ...process.env, ABSTAIN_THREADS: String(threads) }, stdio: 'inherit', detached: true });
      children.push(child);
      child.on('exit', (code, signal) => {
        if (code !== 0) o.log(`pool: worker ${child.pid} exited with ${code ?? signal}`);
        worst = Math.max(worst, code ?? 1);
        if (--left === 0) {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolveAll(worst);
        }
      });
    }
    const pass = (signal: NodeJS.Signals) => () => {
      for (const c of children) if (c.exitCode === null) c.kill(signal);
    };
    const onTerm = pass('SIGTERM');
    const onInt = pass('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
