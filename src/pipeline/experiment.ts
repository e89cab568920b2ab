// One attack experiment end to end: data → poison → train (poisoned and baseline) → certify
// (clean and triggered inputs) → report. Each stage writes its artefact into the run folder and
// records the hash of the config fields it depends on in stages.json, so a rerun skips stages
// whose artefacts are up to date, and --resume continues an interrupted one.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/index.js';
import { loadSource, type Dataset } from '../data/index.js';
import { applyTrigger, makeTrigger, runAttack, writePoisonJson, type PoisonResult } from '../poison/index.js';
import { buildModel, loadModelWeights, saveModel, type Module } from '../nn/index.js';
import { torchVersions, type Device } from '../tensor/index.js';
import { readCertificatesJsonl, defaultVersions } from '../report/index.js';
import type { Summary } from './metrics.js';
import type { Certificate } from '../certify/certificate.js';
import { attackOptions, evalInputs, stageHash, triggerSpec } from './stages.js';
import { writeRunReport } from './report-stage.js';
import { throwIfInterrupted, withInterruptHandler } from '../util/interrupt.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { trainVictim } from './victim.js';
import { certifySet, modelPredictions, type EvalSet } from './certify-set.js';

export interface RunOptions {
  /** Continue interrupted stages from their checkpoints (default true: nothing computed is redone). */
  resume?: boolean;
  /** Redo every stage even when its artefact is up to date. */
  force?: boolean;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  /** Stop after this stage (the CLI's `poison` and `train` commands); the result's summary is then empty. */
  until?: 'poison' | 'train';
  /**
   * Where the models train and certify (default 'cpu'; see tensor.defaultDevice and parseDevice).
   * Batches, noise and certification follow the model's device.
   */
  device?: Device;
}

export interface RunResult {
  runDir: string;
  summary: Summary;
  table: string;
  timings: Record<string, number>;
  skipped: string[];
}

type StageName = 'poison' | 'train' | 'baseline' | `certify-${string}` | 'report';

/** stages.json: the config hash each finished stage was computed with. */
class StageLog {
  private done: Record<string, string>;
  constructor(private readonly path: string) {
    this.done = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  }
  upToDate(stage: StageName, hash: string, ...artefacts: string[]): boolean {
    return this.done[stage] === hash && artefacts.every((a) => existsSync(a));
  }
  mark(stage: StageName, hash: string): void {
    this.done[stage] = hash;
    writeJsonAtomic(this.path, this.done);
  }
  forget(stage: StageName): void {
    delete this.done[stage];
    writeJsonAtomic(this.path, this.done);
  }
}

export interface ExperimentData {
  train: Dataset;
  /** The evaluated test inputs, clean and with the trigger. */
  clean: Dataset;
  triggered: Dataset;
  poison: PoisonResult | null;
  /** The victim's training set (the clean one when the attack is none). */
  poisoned: Dataset;
}

/** Loads the data and applies the attack; deterministic from the config, so cheap to redo. */
export function prepareData(cfg: ExperimentConfig): ExperimentData {
  const trainSet = loadSource(cfg.data.dataset, {
    split: 'train',
    dataDir: cfg.data.dataDir || undefined,
    limit: cfg.data.trainLimit > 0 ? cfg.data.trainLimit : undefined,
    seed: cfg.data.trainLimit > 0 ? cfg.seed : undefined,
  });
  const clean = evalInputs(cfg);
  const poison = cfg.attack.kind === 'none' ? null : runAttack(cfg.attack.kind, trainSet, attackOptions(cfg));
  // With no attack the "triggered" set still carries the configured trigger: it shows the
  // trigger alone does not hurt an unpoisoned model.
  const trigger = poison?.trigger ?? makeTrigger(triggerSpec(cfg), clean.shape);
  return { train: trainSet, clean, triggered: applyTrigger(clean, trigger), poison, poisoned: poison?.dataset ?? trainSet };
}

const seconds = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(2));

/** Runs (or resumes) the experiment described by cfg; returns the summary. */
export function runExperiment(cfg: ExperimentConfig, o: RunOptions = {}): Promise<RunResult> {
  return withInterruptHandler(() => runStages(cfg, o));
}

async function runStages(cfg: ExperimentConfig, o: RunOptions): Promise<RunResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = join(cfg.outDir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  const versions = defaultVersions(torchVersions());
  writeJsonAtomic(join(runDir, 'config.json'), { config: cfg, seed: cfg.seed, versions });
  const stages = new StageLog(join(runDir, 'stages.json'));
  const fresh = (stage: StageName, hash: string, ...artefacts: string[]) => !o.force && stages.upToDate(stage, hash, ...artefacts);
  const timings: Record<string, number> = {};
  const skipped: string[] = [];
  const resume = o.resume ?? true;

  let t0 = Date.now();
  const data = prepareData(cfg);
  timings.data = seconds(t0);
  log(`data: ${cfg.data.dataset}, ${data.train.length} training and ${data.clean.length} evaluated test inputs`);

  // ---- poison ----
  t0 = Date.now();
  const poisonHash = stageHash(cfg, 'poison');
  const poisonPath = join(runDir, 'poison.json');
  if (data.poison && !fresh('poison', poisonHash, poisonPath)) {
    writePoisonJson(poisonPath, data.poison, cfg.attack);
    stages.mark('poison', poisonHash);
  } else if (data.poison) skipped.push('poison');
  if (data.poison) {
    const s = data.poison.summary;
    log(`poison: ${s.attack} made ${s.count} poisoned samples from ${s.sources} sources (${s.mode}, rate ${s.rate}); ${s.size} training samples`);
  }
  timings.poison = seconds(t0);
  throwIfInterrupted('interrupted after the poison stage (poison.json is saved); run again to continue');
  if (o.until === 'poison') return { runDir, summary: {}, table: '', timings, skipped };

  // ---- train the victim (poisoned) and the baseline (unpoisoned, trained the same way) ----
  const build = (): Module =>
    buildModel(cfg.model.architecture, { seed: cfg.seed, inputShape: data.train.shape, numClasses: data.train.numClasses, device: o.device });
  const trainOne = async (stage: 'train' | 'baseline', trainData: Dataset, file: string): Promise<Module> => {
    const model = build();
    const path = join(runDir, file);
    const hash = stageHash(cfg, stage);
    if (fresh(stage, hash, path)) {
      loadModelWeights(path, model);
      model.eval();
      skipped.push(stage);
      return model;
    }
    const t = Date.now();
    // A checkpoint belongs to one config: its folder is named by the stage hash, and folders of
    // older configs of the same stage are removed, so a changed config never resumes stale state.
    const kind = stage === 'train' ? 'poisoned' : 'baseline';
    const ckpt = join(runDir, 'checkpoints', `${kind}-${hash.slice(0, 12)}`);
    const ckptRoot = join(runDir, 'checkpoints');
    if (existsSync(ckptRoot)) {
      for (const d of readdirSync(ckptRoot)) if (d.startsWith(`${kind}-`) && join(ckptRoot, d) !== ckpt) rmSync(join(ckptRoot, d), { recursive: true, force: true });
    }
    if (!resume) rmSync(ckpt, { recursive: true, force: true });
    const history = await trainVictim(cfg, model, trainData, data.clean, { checkpointDir: ckpt, resume, progress: o.progress, log, label: stage === 'train' ? 'train (poisoned)' : 'train (baseline)' });
    saveModel(path, model, { architecture: cfg.model.architecture, objective: cfg.train.objective, seed: String(cfg.seed), history: JSON.stringify(history) });
    stages.mark(stage, hash);
    timings[stage] = seconds(t);
    return model;
  };
  const model = await trainOne('train', data.poisoned, 'model.safetensors');
  const baseline = cfg.baseline ? await trainOne('baseline', data.train, 'baseline.safetensors') : null;
  if (o.until === 'train') return { runDir, summary: {}, table: '', timings, skipped };

  // ---- certify: every certifier on clean and triggered inputs, for both models ----
  const sets: EvalSet[] = [
    { name: 'clean', model, data: data.clean },
    { name: 'trigger', model, data: data.triggered },
    ...(baseline
      ? [{ name: 'baseline', model: baseline, data: data.clean } as const, { name: 'baseline-trigger', model: baseline, data: data.triggered } as const]
      : []),
  ];
  throwIfInterrupted('interrupted after training (the models are saved); run again to continue');
  const certs: Record<string, Record<string, Certificate[]>> = {};
  for (const kind of cfg.certify.kinds) {
    certs[kind] = {};
    for (const set of sets) {
      const file = join(runDir, `certs-${set.name}-${kind}.jsonl`);
      const stage: StageName = `certify-${kind}-${set.name}`;
      const hash = stageHash(cfg, { certify: set.name });
      if (fresh(stage, hash, file)) {
        certs[kind][set.name] = readCertificatesJsonl(file);
        skipped.push(stage);
        continue;
      }
      const t = Date.now();
      certs[kind][set.name] = await certifySet(cfg, kind, set, { file, resume, progress: o.progress, log });
      stages.mark(stage, hash);
      timings[stage] = seconds(t);
    }
  }

  // ---- metrics and report ----
  throwIfInterrupted('interrupted after certification (the certificates are saved); run again to continue');
  t0 = Date.now();
  const predictions = Object.fromEntries(sets.map((s) => [s.name, modelPredictions(s.model, s.data)]));
  const byKind = Object.fromEntries(
    cfg.certify.kinds.map((k) => [k, { clean: certs[k].clean, trigger: certs[k].trigger, baseline: certs[k].baseline }]),
  );
  const { summary, table } = await writeRunReport(runDir, cfg, byKind, {
    predictions: { clean: predictions.clean, trigger: predictions.trigger, baseline: predictions.baseline },
    data: { clean: data.clean, triggered: data.triggered },
    timings,
  });
  timings.report = seconds(t0);
  return { runDir, summary, table, timings, skipped };
}
