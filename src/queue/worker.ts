// `abstain worker --queue redis://…`: takes runs from the pool's queue, one at a time, and runs
// each with the same stage runner as a local run (runExperiment), in the run folder under the
// shared results folder, so a run resumes from whatever checkpoints an earlier attempt left there.
//
// Who owns a run. BullMQ's job lock is the authority: a worker holds a lock in Redis on the job
// it runs and renews it every lease/2; a worker that dies, or cannot reach Redis, stops renewing,
// and after `lease` seconds the stalled-job check of any other worker puts the job back in the
// queue for the next free worker (up to MAX_STALLS times; then it fails). The run folder's own
// lock records the job id and lock token, and a worker that got the job takes over a folder lock
// left by an earlier attempt of the same job whatever host that was on (lockRunFolder). A worker
// that is alive but lost its lock (Redis unreachable, or its event loop stalled past the lease)
// stops its run at the next safe point as soon as it notices: a renewal refused by Redis, or no
// renewal confirmed for a whole lease. Until then two workers may write the same folder; every
// file is written whole by an atomic rename and is the same deterministic function of the config
// and seed, and each stage record carries its artefacts' digests, so the overlap costs time, never
// a torn or mismatched result.
//
// Errors: a run that throws is retried with exponential back-off up to the job's attempts (set
// by the enqueuer), and its error is kept; Ctrl-C or SIGTERM saves the current run's state, puts
// it back in the queue (not counted as an error) and exits.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { ConfigError, loadConfig } from '../config/index.js';
import { runExperiment } from '../experiment/index.js';
import { defaultVersions } from '../report/index.js';
import { getNumThreads } from '../tensor/index.js';
import { Interrupted, requestInterrupt } from '../util/interrupt.js';
import { QUEUE_NAME, checkRedis, parseQueueUrl, redisOptions } from './connection.js';
import type { RunJobData, RunJobResult } from './jobs.js';
import { redisLease } from './lease.js';

/** A run whose worker died this many times is failed (its error says so) instead of put back again. */
export const MAX_STALLS = 2;

export interface WorkerOptions {
  /** redis://HOST:PORT[/DB] */
  queue: string;
  /** The shared results folder as mounted on this machine; default: the path the enqueuer gave. */
  results?: string;
  /** Seconds a run's lock lasts without renewal: how long a dead worker's run waits before another worker takes it. */
  leaseSeconds: number;
  /** Stop (exit 0) once the queue has held nothing to run (waiting, delayed or running anywhere) for this many seconds; default: run until stopped. */
  exitWhenIdleSeconds?: number;
  log: (line: string) => void;
}

/** Runs jobs until SIGTERM or Ctrl-C (or an idle queue, with exitWhenIdleSeconds); resolves to the exit code (0 after SIGTERM or an idle queue, 130 after Ctrl-C). */
export async function runWorker(o: WorkerOptions): Promise<number> {
  const address = parseQueueUrl(o.queue);
  await checkRedis(address);
  const me = `${hostname()}:${process.pid}`;
  const say = (line: string) => o.log(`worker ${me}: ${line}`);
  const leaseMs = Math.round(o.leaseSeconds * 1000);
  const leaseClient = new Redis(redisOptions(address));
  leaseClient.on('error', () => {});

  // The job this process is running (one at a time), and whether its lock was lost.
  let current: { id: string; token: string; renewedAt: number; lost: boolean } | undefined;
  let stopping: 'SIGTERM' | 'SIGINT' | undefined;
  const loseLock = (why: string) => {
    if (!current || current.lost) return;
    current.lost = true;
    say(`lost the lock of job ${current.id} (${why}): stopping its run at the next safe point; another worker takes it over`);
    requestInterrupt();
  };

  const processor = async (job: Job<RunJobData, RunJobResult>, token?: string): Promise<RunJobResult> => {
    const d = job.data;
    const t0 = Date.now();
    current = { id: job.id!, token: token ?? '', renewedAt: t0, lost: false };
    say(`started ${d.run} (job ${job.id}, start ${job.attemptsStarted}${job.failedReason ? `, after an error: ${job.failedReason}` : ''})`);
    try {
      let cfg;
      try {
        cfg = loadConfig(d.config, o.results ? { outDir: resolve(o.results) } : {});
      } catch (e) {
        // Not this machine's fault and not going away by retrying: fail the run at once.
        const msg = e instanceof ConfigError ? e.problems.join('; ') : (e as Error).message;
        throw new UnrecoverableError(`the config of ${d.run} is invalid for this worker (abstain ${defaultVersions().abstain}, enqueued by ${d.abstain}): ${msg}`);
      }
      const r = await runExperiment(cfg, {
        log: (line) => o.log(`[${d.run}] ${line}`),
        progress: false,
        resume: true,
        cache: join(cfg.outDir, 'cache'),
        job: { id: job.id!, token: token ?? '' },
        cacheLease: redisLease(leaseClient, { prefix: `abstain:${QUEUE_NAME}`, ttlMs: leaseMs, log: (line) => o.log(`[${d.run}] ${line}`) }),
        title: `abstain reproduce: ${d.run}`,
      });
      const seconds = Number(((Date.now() - t0) / 1000).toFixed(2));
      say(`finished ${d.run} (job ${job.id}) in ${seconds} s${r.skipped.length ? `; up to date or cached: ${r.skipped.join(', ')}` : ''}`);
      return { run: d.run, seed: d.seed, summary: r.summary, seconds, skipped: r.skipped, worker: me };
    } catch (e) {
      if (e instanceof Interrupted && current?.lost) throw new Error(`${me} lost the job's lock and stopped; another worker resumes it`);
      if (e instanceof Interrupted && stopping && token) {
        // State is saved in the run folder: put the run back for the next worker, not as an error.
        await job.moveToWait(token);
        say(`put ${d.run} back in the queue (${stopping}); its state is saved`);
        throw new WaitingError();
      }
      const msg = (e as Error).message?.split('\n')[0] ?? String(e);
      say(`${d.run} failed: ${msg}`);
      if (e instanceof UnrecoverableError) throw e;
      throw new Error(msg);
    } finally {
      current = undefined;
    }
  };

  const worker = new Worker<RunJobData, RunJobResult>(QUEUE_NAME, processor, {
    connection: redisOptions(address),
    name: me,
    concurrency: 1, // one run per process: libtorch runs each op on all the threads it is given
    lockDuration: leaseMs,
    stalledInterval: Math.min(30_000, Math.max(500, Math.round(leaseMs / 2))),
    maxStalledCount: MAX_STALLS,
    autorun: false,
  });
  worker.on('error', (e) => say(`queue error: ${e.message.split('\n')[0]}`));
  worker.on('lockRenewalFailed', (ids: string[]) => {
    if (current && ids.includes(current.id)) loseLock('Redis refused to renew it');
  });
  worker.on('locksRenewed', ({ jobIds }: { jobIds: string[] }) => {
    if (current && jobIds.includes(current.id)) current.renewedAt = Date.now();
  });
  worker.on('stalled', (id: string) => say(`job ${id} stalled (its worker stopped renewing its lock): back in the queue`));
  // A whole lease without a confirmed renewal: Redis has let the lock expire, whatever the reason.
  const watchdog = setInterval(() => {
    if (current && Date.now() - current.renewedAt > leaseMs) loseLock(`no renewal confirmed for ${o.leaseSeconds} s`);
  }, Math.max(100, Math.round(leaseMs / 4)));
  watchdog.unref();

  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => (done = r));
  const stop = (signal: 'SIGTERM' | 'SIGINT', why: string = signal) => {
    if (stopping) {
      if (signal === 'SIGINT') process.exit(130); // a second Ctrl-C: leave now
      return;
    }
    stopping = signal;
    say(current ? `${why}: saving the current run and stopping` : `${why}: stopping`);
    requestInterrupt();
    void worker
      .close()
      .catch(() => {})
      .finally(() => done(signal === 'SIGINT' ? 130 : 0));
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  // A pool's worker processes stop with their parent (abstain worker --concurrency N).
  const onDisconnect = () => stop('SIGTERM', 'the pool process is gone');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('disconnect', onDisconnect);

  // With --exit-when-idle: a run still active on another worker keeps this one waiting, since
  // that worker may die and its run come back to the queue.
  let idleQueue: Queue | undefined;
  let idleCheck: NodeJS.Timeout | undefined;
  if (o.exitWhenIdleSeconds !== undefined) {
    const idleMs = o.exitWhenIdleSeconds * 1000;
    idleQueue = new Queue(QUEUE_NAME, { connection: redisOptions(address) });
    idleQueue.on('error', () => {});
    let idleSince = Date.now();
    let checking = false;
    idleCheck = setInterval(() => {
      if (checking || stopping) return;
      if (current) {
        idleSince = Date.now();
        return;
      }
      checking = true;
      void idleQueue!
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
        .then((c) => {
          if (Object.values(c).some((n) => n > 0)) idleSince = Date.now();
          else if (Date.now() - idleSince >= idleMs) stop('SIGTERM', `the queue has been empty for ${o.exitWhenIdleSeconds} s`);
        })
        .catch(() => (idleSince = Date.now()))
        .finally(() => (checking = false));
    }, Math.max(100, Math.min(1000, Math.round(idleMs / 2))));
  }

  say(`waiting for runs on ${address.display} (lease ${o.leaseSeconds} s, ${getNumThreads()} thread${getNumThreads() === 1 ? '' : 's'}${o.results ? `, results in ${resolve(o.results)}` : ''})`);
  void worker.run().catch((e) => {
    say(`stopped: ${(e as Error).message}`);
    done(1);
  });
  try {
    return await finished;
  } finally {
    clearInterval(watchdog);
    if (idleCheck) clearInterval(idleCheck);
    await idleQueue?.close().catch(() => {});
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('disconnect', onDisconnect);
    leaseClient.disconnect();
  }
}
