// The enqueuer's side of a pool: hand a grid's runs to the queue (once each), and read back where
// every run stands: done (with its summary), running (on which worker, since when), waiting,
// retrying after an error, or failed for good (with its error).
import { Queue, type Job } from 'bullmq';
import { QUEUE_NAME, checkRedis, parseQueueUrl, redisOptions } from './connection.js';
import type { RunJobData, RunJobResult } from './jobs.js';

export type RunQueue = Queue<RunJobData, RunJobResult>;

/** Opens the pool's queue after checking that Redis answers (one clear line when it does not). */
export async function openQueue(url: string): Promise<RunQueue> {
  const address = parseQueueUrl(url);
  await checkRedis(address);
  const queue: RunQueue = new Queue(QUEUE_NAME, { connection: redisOptions(address) });
  queue.on('error', () => {}); // connection trouble surfaces as a failed call below
  await queue.waitUntilReady();
  return queue;
}

export interface RunToQueue {
  id: string;
  data: RunJobData;
}

export interface EnqueueOptions {
  /** Tries per run before it counts as failed (an error thrown by the run; a dead worker is counted apart). */
  attempts: number;
  /** Delay before the first retry, doubled for each further one (ms). */
  backoffMs?: number;
}

export interface EnqueueReport {
  added: number;
  /** Already in the queue (waiting, running or done): left as they are. */
  present: number;
  /** Failed for good before, put back to try again. */
  retried: number;
}

/**
 * Adds the runs that are not in the queue yet, under their config-hash ids, and puts failed ones
 * back (their error stays in the job's history). Adding an id that exists is a no-op in BullMQ,
 * so two enqueuers racing still add each run once.
 */
export async function enqueueRuns(queue: RunQueue, runs: readonly RunToQueue[], o: EnqueueOptions): Promise<EnqueueReport> {
  const report: EnqueueReport = { added: 0, present: 0, retried: 0 };
  const toAdd: RunToQueue[] = [];
  for (const r of runs) {
    const job = await queue.getJob(r.id);
    if (!job) {
      toAdd.push(r);
      continue;
    }
    if ((await job.getState()) === 'failed') {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      report.retried++;
    } else report.present++;
  }
  const opts = { attempts: o.attempts, backoff: { type: 'exponential', delay: o.backoffMs ?? 10_000 } };
  if (toAdd.length) await queue.addBulk(toAdd.map((r) => ({ name: r.data.run, data: r.data, opts: { ...opts, jobId: r.id } })));
  report.added = toAdd.length;
  return report;
}

export type RunPhase = 'done' | 'running' | 'waiting' | 'retrying' | 'failed' | 'missing';

export interface RunState {
  id: string;
  phase: RunPhase;
  /** Attempts that ended, by an error or by a worker that died (BullMQ counts both). */
  attemptsMade: number;
  /** Times a worker started it (a worker that died mid-run counts too). */
  attemptsStarted: number;
  /** The last error thrown by the run (none when only its worker died). */
  error?: string;
  /** host:pid of the worker running it (or that finished it). */
  worker?: string;
  startedAt?: number;
  finishedAt?: number;
  result?: RunJobResult;
}

function phaseOf(state: string, job: Job): RunPhase {
  if (state === 'completed') return 'done';
  if (state === 'active') return 'running';
  if (state === 'failed') return 'failed';
  if (state === 'unknown') return 'missing';
  return job.failedReason ? 'retrying' : 'waiting'; // waiting, delayed (back-off), prioritized
}

/** Where each run stands, in the order of ids. */
export async function runStates(queue: RunQueue, ids: readonly string[]): Promise<RunState[]> {
  const out: RunState[] = [];
  for (const id of ids) {
    const job = await queue.getJob(id);
    if (!job) {
      out.push({ id, phase: 'missing', attemptsMade: 0, attemptsStarted: 0 });
      continue;
    }
    const phase = phaseOf(await job.getState(), job);
    out.push({
      id,
      phase,
      attemptsMade: job.attemptsMade,
      attemptsStarted: job.attemptsStarted ?? 0,
      error: job.failedReason || undefined,
      worker: job.processedBy,
      startedAt: job.processedOn,
      finishedAt: job.finishedOn,
      result: phase === 'done' ? job.returnvalue : undefined,
    });
  }
  return out;
}
