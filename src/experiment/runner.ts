// One experiment end to end, by the stage table (stages.ts): for each stage in order, skip it
// when its recorded hash and artefact digests still match, take it from a shared cache when one
// has it (reproduce), or run it and record it. A lock keeps a second process out of the run
// folder; Ctrl-C stops at the next safe point with everything finished so far saved.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { ExperimentConfig } from '../config/index.js';
import type { DefensesSummary, Summary } from '../pipeline/index.js';
import { defaultVersions } from '../report/index.js';
import { torchVersions } from '../tensor/index.js';
import { throwIfInterrupted, withInterruptHandler } from '../util/interrupt.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { RunContext } from './context.js';
import { RunFolderError, StageLog, fileDigest, lockRunFolder, type LockJob, type StageRecord } from './run-folder.js';
import { stageHash, stagesFor, STAGES, type Stage } from './stages.js';

export interface RunOptions {
  /** Continue interrupted stages from their checkpoints (default true: nothing computed is redone). */
  resume?: boolean;
  /** Redo every stage even when its artefact is up to date. */
  force?: boolean;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  /** Only these rows of the stage table, and the stages they need (default: all). */
  targets?: string[];
  /** Run only the target rows; what they read must already be in the run folder (abstain report). */
  only?: boolean;
  /** Artefacts the user brings instead of a stage: stage name -> file (abstain certify --model: { train: file }). */
  provided?: Record<string, string>;
  /** A folder of stage results shared between runs: a stage recorded there under the same hash is copied, not recomputed. */
  cache?: string;
  /**
   * Put every stage into the cache, the poisoned ones too (by default only what does not depend on
   * the poison is shared). The defense grid's cells share the undefended run of their attack.
   */
  cacheAll?: boolean;
  /** The report's title. */
  title?: string;
  /** The queue job running this experiment (abstain worker): recorded in the run folder's lock, see lockRunFolder. */
  job?: LockJob;
  /**
   * Called before a cacheable stage missing from the cache is computed; resolves (to a release
   * function) once this run may compute it. A pool of workers passes a lease in Redis, so that a
   * stage shared by many cells (the unpoisoned baseline) is computed by one worker while the
   * others wait for it to appear in the cache. Only saves work: the cache is safe without it.
   */
  cacheLease?: (key: string) => Promise<() => void>;
  /** More work on the run folder after the stages, while this process still holds its lock (abstain poison's export). */
  then?: (ctx: RunContext, runDir: string) => Promise<void> | void;
}

export interface RunResult {
  runDir: string;
  summary: Summary;
  /** What the defenses found and cost (summary.json's `defenses`); absent without defenses. */
  defenses?: DefensesSummary;
  table: string;
  timings: Record<string, number>;
  /** Stages that were up to date (or taken from the cache) and not run again. */
  skipped: string[];
}

const seconds = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(2));

/** Runs (or resumes) the experiment described by cfg. */
export function runExperiment(cfg: ExperimentConfig, o: RunOptions = {}): Promise<RunResult> {
  return withInterruptHandler(() => runStages(cfg, o));
}

async function runStages(cfg: ExperimentConfig, o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = join(cfg.outDir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  const release = lockRunFolder(runDir, undefined, o.job);
  const ctx = new RunContext(cfg, runDir, { log, progress: o.progress }, o.resume ?? true);
  try {
    ctx.title = o.title;
    const config: Record<string, unknown> = { config: cfg, seed: cfg.seed, versions: defaultVersions(torchVersions()) };
    if (o.provided) config.provided = Object.fromEntries(Object.entries(o.provided).map(([k, f]) => [k, resolve(f)]));
    writeJsonAtomic(join(runDir, 'config.json'), config);
    const stages = new StageLog(runDir);
    const all = stagesFor(cfg);
    const byName = new Map(all.map((s) => [s.name, s]));
    // Every artefact read back from the folder must be this run's (not another config's, model's or command's).
    ctx.checkArtefact = (name) => {
      const s = byName.get(name);
      if (!s || o.provided?.[name]) return;
      const problem = stages.staleness(name, stageHash(cfg, s, stages, ctx.device));
      if (problem) {
        const fix = o.only ? 'run the command that made this folder (abstain run, or abstain certify) again to recompute it' : 'run again with --force';
        throw new RunFolderError(`${runDir}: the ${name} stage ${problem}; its ${s.artefacts.join(', ')} cannot be used: ${fix}`);
      }
    };
    const rows = STAGES.map((r) => r.name);
    for (const t of o.targets ?? []) if (!rows.includes(t)) throw new RunFolderError(`unknown stage "${t}"; the stages are ${rows.join(', ')}`);
    for (const [name, file] of Object.entries(o.provided ?? {})) {
      const s = byName.get(name);
      if (!s) throw new RunFolderError(`cannot provide stage "${name}": this run has no such stage`);
      provide(ctx, stages, s, file);
    }
    // The stages to consider: the targets and, unless `only`, everything they read.
    const needed = new Set<string>();
    const visit = (s: Stage) => {
      if (needed.has(s.name) || o.provided?.[s.name]) return;
      needed.add(s.name);
      if (!o.only) for (const i of s.inputs) visit(byName.get(i)!);
    };
    for (const s of all) if (!o.targets || o.targets.includes(s.row)) visit(s);

    const skipped: string[] = [];
    for (const s of all) {
      if (!needed.has(s.name)) continue;
      throwIfInterrupted(`interrupted before the ${s.name} stage (everything before it is saved); run again to continue`);
      const hash = stageHash(cfg, s, stages, ctx.device);
      if (!s.always && !o.force && stages.upToDate(s.name, hash)) {
        skipped.push(s.name);
        continue;
      }
      const shared = !s.always && !o.force && o.cache ? o.cache : undefined;
      if (shared && fromCache(shared, runDir, stages, s, hash)) {
        log(`${s.name}: reused from ${shared}`);
        skipped.push(s.name);
        continue;
      }
      let releaseLease: (() => void) | undefined;
      if (shared && o.cacheLease && (o.cacheAll || cacheable(s, byName))) {
        releaseLease = await o.cacheLease(basename(cacheDir(shared, s, hash)));
        if (fromCache(shared, runDir, stages, s, hash)) {
          releaseLease(); // computed by another run while this one waited
          log(`${s.name}: reused from ${shared}`);
          skipped.push(s.name);
          continue;
        }
      }
      try {
        const t0 = Date.now();
        stages.forget(s.name); // an interrupted rerun must not leave the old record next to new artefacts
        await s.run(ctx, { hash });
        ctx.timings[s.name] = seconds(t0);
        if (s.always) continue;
        stages.mark(s.name, hash, s.artefacts);
        if (o.cache && (o.cacheAll || cacheable(s, byName))) toCache(o.cache, runDir, stages.get(s.name)!, s, hash);
      } finally {
        releaseLease?.();
      }
    }
    await o.then?.(ctx, runDir);
    return { runDir, summary: ctx.summary ?? {}, ...(ctx.defenses ? { defenses: ctx.defenses } : {}), table: ctx.table ?? '', timings: ctx.timings, skipped };
  } finally {
    ctx.dispose();
    release();
  }
}

/** A user's file in place of a stage's artefact: recorded with its digest, so every stage that reads it depends on its content. */
function provide(ctx: RunContext, stages: StageLog, s: Stage, file: string): void {
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path)) throw new RunFolderError(`${file}: no such file`);
  ctx.provide(s.name, path);
  stages.adopt(s.name, { hash: 'provided', artefacts: { [path]: fileDigest(path) } });
}

/** Worth sharing between the cells of a grid: stages that do not depend on the poison. */
function cacheable(s: Stage, byName: Map<string, Stage>): boolean {
  return s.name !== 'poison' && s.inputs.every((i) => cacheable(byName.get(i)!, byName));
}

const cacheDir = (cache: string, s: Stage, hash: string) => join(cache, `${s.name}-${hash.slice(0, 16)}`);

// The cache may be shared by processes on several machines (a queue's results folder): an entry
// is a folder renamed into place complete, and read only when every artefact has its recorded digest.
function fromCache(cache: string, runDir: string, stages: StageLog, s: Stage, hash: string): boolean {
  const dir = cacheDir(cache, s, hash);
  const recordFile = join(dir, 'record.json');
  if (!existsSync(recordFile)) return false;
  let record: StageRecord;
  try {
    record = JSON.parse(readFileSync(recordFile, 'utf8')) as StageRecord;
  } catch {
    return false; // replaced while read: compute instead
  }
  if (record.hash !== hash || !s.artefacts.every((f) => existsSync(join(dir, f)) && fileDigest(join(dir, f)) === record.artefacts[f])) return false;
  for (const f of s.artefacts) copyFileSync(join(dir, f), join(runDir, f));
  stages.adopt(s.name, record);
  return true;
}

function toCache(cache: string, runDir: string, record: StageRecord, s: Stage, hash: string): void {
  const dir = cacheDir(cache, s, hash);
  if (existsSync(join(dir, 'record.json'))) return;
  const tmp = `${dir}.${hostname()}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const f of s.artefacts) copyFileSync(join(runDir, f), join(tmp, f));
  writeJsonAtomic(join(tmp, 'record.json'), record);
  try {
    renameSync(tmp, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    if (existsSync(join(dir, 'record.json'))) {
      // Another process put the same entry there first (equal content: same stage hash); keep theirs.
      rmSync(tmp, { recursive: true, force: true });
      return;
    }
    rmSync(dir, { recursive: true, force: true }); // a folder without its record is no entry
    renameSync(tmp, dir);
  }
}
