// The run folder's bookkeeping: a lock, so two processes never write one folder at once, and
// stages.json, which records for each finished stage the hash it was computed under and a digest
// of each of its artefacts. A stage is up to date only when both still match: a file replaced
// by another command or another model is noticed, not silently reported.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';

/** A user-facing failure of the run folder (in use, unreadable): one line, exit code 1. */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

/** sha256 of a file's bytes, hex. */
export function fileDigest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface StageRecord {
  /** The stage hash (config fields and input digests) the artefacts were computed under. */
  hash: string;
  /** Artefact (relative to the run folder) -> sha256 of its bytes. */
  artefacts: Record<string, string>;
}

/** stages.json. */
export class StageLog {
  private records: Record<string, StageRecord>;
  constructor(
    private readonly runDir: string,
  ) {
    const path = this.path;
    let parsed: unknown = {};
    if (existsSync(path)) {
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        parsed = {}; // unreadable bookkeeping only costs a recomputation
      }
    }
    this.records = {};
    for (const [name, r] of Object.entries((parsed ?? {}) as Record<string, unknown>)) {
      // Records of older versions (a bare hash string) are not trusted: the stage reruns.
      if (r && typeof r === 'object' && typeof (r as StageRecord).hash === 'string') this.records[name] = r as StageRecord;
    }
  }
  private get path(): string {
    return join(this.runDir, 'stages.json');
  }
  get(stage: string): StageRecord | undefined {
    return this.records[stage];
  }
  /** True when the stage was recorded under `hash` and every artefact is present with its recorded digest. */
  upToDate(stage: string, hash: string): boolean {
    return this.staleness(stage, hash) === undefined;
  }
  /** Why the stage's artefacts cannot be taken as computed under `hash` (undefined when they can). */
  staleness(stage: string, hash: string): string | undefined {
    const r = this.records[stage];
    if (!r) return 'has no record in stages.json of a finished stage (written by an interrupted run, another command, or an older abstain)';
    if (r.hash !== hash) return 'was computed under another config or from another model than this folder now has (its stage hash differs)';
    for (const [f, d] of Object.entries(r.artefacts)) {
      const path = join(this.runDir, f);
      if (!existsSync(path)) return `lacks ${f}`;
      if (fileDigest(path) !== d) return `has a ${f} that changed after abstain wrote it (its sha256 differs from stages.json)`;
    }
    return undefined;
  }
  /** Records the stage as done under `hash`, digesting its artefacts as they are now. */
  mark(stage: string, hash: string, artefacts: readonly string[]): StageRecord {
    const r: StageRecord = { hash, artefacts: Object.fromEntries(artefacts.map((f) => [f, fileDigest(join(this.runDir, f))])) };
    this.records[stage] = r;
    this.save();
    return r;
  }
  /** Takes a record made elsewhere (a cache) whose artefacts were copied in. */
  adopt(stage: string, r: StageRecord): void {
    this.records[stage] = r;
    this.save();
  }
  forget(stage: string): void {
    if (!(stage in this.records)) return;
    delete this.records[stage];
    this.save();
  }
  private save(): void {
    writeJsonAtomic(this.path, this.records);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** A queue job that owns a run folder: BullMQ's job id (one per run folder) and the token of its current lock in Redis. */
export interface LockJob {
  id: string;
  token: string;
}

interface LockHolder {
  pid?: number;
  host?: string;
  started?: string;
  command?: string;
  job?: LockJob;
}

/**
 * Takes the run folder's lock (`.lock`, created exclusively, holding pid, host and, for a queue
 * job, the job id and lock token). A second process fails at once, naming the holder. The lock
 * is taken over, not honoured, in two cases:
 * - its holder ran on this host and its pid is dead (it died without releasing);
 * - it was taken by an earlier attempt of the same queue job (same job id, another token). The
 *   job queue is the authority here: BullMQ hands a job to a new worker only after the previous
 *   worker's lock on it expired in Redis (the worker died, or stopped renewing it for the
 *   lease), so that worker no longer owns the job nor its folder, whatever host it was on.
 * A holder on another host that is not a queue job cannot be checked and is honoured.
 * Returns the release function (also run at process exit); it removes only its own lock.
 */
export function lockRunFolder(runDir: string, command = process.argv.slice(1).join(' '), job?: LockJob): () => void {
  const path = join(runDir, '.lock');
  const me: LockHolder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command, ...(job ? { job } : {}) };
  const mine = (h: LockHolder) => h.pid === me.pid && h.host === me.host && h.job?.token === me.job?.token;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(me) + '\n');
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          if (mine(JSON.parse(readFileSync(path, 'utf8')) as LockHolder)) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.on('exit', release);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: LockHolder = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        /* a lock being written right now, or a torn one: treat as held unless stale below */
      }
      const sameHost = !holder.host || holder.host === me.host;
      const deadHere = typeof holder.pid === 'number' && sameHost && !alive(holder.pid);
      const earlierAttempt = !!job && holder.job?.id === job.id && holder.job.token !== job.token;
      if (deadHere || earlierAttempt) {
        rmSync(path, { force: true }); // the holder died, or lost the job: take over
        continue;
      }
      const who = typeof holder.pid === 'number' ? `process ${holder.pid}${holder.host && !sameHost ? ` on ${holder.host}` : ''}` : 'another process';
      const asJob = holder.job ? ` (queue job ${holder.job.id})` : '';
      throw new RunFolderError(
        `${runDir} is in use by ${who}${asJob}${holder.started ? ` (since ${holder.started})` : ''}; wait for it to finish, or give this run another name (--name or --out)`,
      );
    }
  }
  throw new RunFolderError(`${runDir}: cannot take the lock ${path}; remove it if no abstain process uses the folder`);
}
