// One attack experiment end to end: data → poison → train (poisoned and baseline) → certify
// (clean and triggered inputs) → report. Each stage writes its artefact into the run folder and
// records the hash of the config fields it depends on in stages.json, so a rerun skips stages
// whose artefacts are up to date, and --resume continues an interrupted one.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, configHash, type ExperimentConfig, type CertifierName, deploymentRadiusFor } from '../config/index.js';
import { loadSource, take, type Dataset } from '../data/index.js';
import { applyTrigger, runAttack, writePoisonJson, type TriggerSpec, type PoisonResult } from '../poison/index.js';
import { buildModel, loadModelWeights, saveModel, type Module } from '../nn/index.js';
import { torchVersion } from '../tensor/index.js';
import { readCertificatesJsonl, writeSummary, writeReport, formatTable, defaultVersions } from '../report/index.js';
import { summarizeCertifier, type Summary } from './metrics.js';
import type { Certificate } from '../certify/certificate.js';
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

/** The trigger spec of the attack config (the same at training and at test time). */
export function triggerSpec(cfg: ExperimentConfig): TriggerSpec {
  const t = cfg.attack.trigger;
  const content =
    t.content === 'solid' ? { kind: 'solid' as const, value: t.value }
    : t.content === 'checkerboard' ? { kind: 'checkerboard' as const, high: t.value, low: 0 }
    : { kind: 'noise' as const, seed: cfg.seed, low: 0, high: t.value };
  return t.kind === 'patch' ? { kind: 'patch', size: t.size, position: t.position, content } : { kind: 'blend', alpha: t.alpha, pattern: content };
}

/** Attack options from the config, for runAttack. */
export function attackOptions(cfg: ExperimentConfig): Record<string, unknown> & { rate: number; trigger: TriggerSpec } {
  const a = cfg.attack;
  return {
    rate: a.rate,
    mode: a.mode,
    trigger: triggerSpec(cfg),
    seed: cfg.seed,
    labels: a.labels,
    targetLabel: a.targetLabel,
    direction: a.boundary.direction,
    scale: a.boundary.scale,
    otherLabel: a.boundary.otherLabel,
    deploymentRadius: cfg.eval.deploymentRadius,
  };
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
  const dataDir = cfg.data.dataDir || undefined;
  const limit = (n: number) => (n > 0 ? n : undefined);
  const trainSet = loadSource(cfg.data.dataset, { split: 'train', dataDir, limit: limit(cfg.data.trainLimit), seed: cfg.data.trainLimit > 0 ? cfg.seed : undefined });
  const testSet = loadSource(cfg.data.dataset, { split: 'test', dataDir, limit: limit(cfg.data.testLimit) });
  const n = cfg.eval.testInputs > 0 ? Math.min(cfg.eval.testInputs, testSet.length) : testSet.length;
  const clean = n < testSet.length ? take(testSet, n, cfg.seed) : testSet;
  const poison = cfg.attack.kind === 'none' ? null : runAttack(cfg.attack.kind, trainSet, attackOptions(cfg));
  // With no attack the "triggered" set still carries the configured trigger: it shows the
  // trigger alone does not hurt an unpoisoned model.
  const trigger = poison?.trigger ?? runAttack('badnets', take(trainSet, Math.min(trainSet.length, 200), 0), { rate: 0.01, trigger: triggerSpec(cfg), seed: 0 }).trigger;
  return { train: trainSet, clean, triggered: applyTrigger(clean, trigger), poison, poisoned: poison?.dataset ?? trainSet };
}

const seconds = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(2));

/** Runs (or resumes) the experiment described by cfg; returns the summary. */
export async function runExperiment(cfg: ExperimentConfig, o: RunOptions = {}): Promise<RunResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = join(cfg.outDir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  const versions = defaultVersions({ libtorch: torchVersion() });
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
  const poisonHash = configHash(cfg, 'poison');
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
  if (o.until === 'poison') return { runDir, summary: {}, table: '', timings, skipped };

  // ---- train the victim (poisoned) and the baseline (unpoisoned, trained the same way) ----
  const build = (): Module => buildModel(cfg.model.architecture, { seed: cfg.seed, inputShape: data.train.shape, numClasses: data.train.numClasses });
  const trainOne = async (stage: 'train' | 'baseline', trainData: Dataset, file: string): Promise<Module> => {
    const model = build();
    const path = join(runDir, file);
    const hash = configHash(cfg, stage);
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
    ...(baseline ? [{ name: 'baseline', model: baseline, data: data.clean }, { name: 'baseline-trigger', model: baseline, data: data.triggered }] : []),
  ];
  const certs: Record<string, Record<string, Certificate[]>> = {};
  for (const kind of cfg.certify.kinds) {
    certs[kind] = {};
    for (const set of sets) {
      const file = join(runDir, `certs-${set.name}-${kind}.jsonl`);
      const stage: StageName = `certify-${kind}-${set.name}`;
      // The baseline model ignores the attack, but its triggered inputs still carry the trigger.
      const hash =
        set.name === 'baseline' ? configHash(cfg, ['baseline', 'certify'])
        : set.name === 'baseline-trigger' ? `${configHash(cfg, ['baseline', 'certify'])}:${canonicalJson(triggerSpec(cfg))}`
        : configHash(cfg, 'certify');
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
  t0 = Date.now();
  const predictions = Object.fromEntries(sets.map((s) => [s.name, modelPredictions(s.model, s.data)]));
  const summary: Summary = {};
  for (const kind of cfg.certify.kinds) {
    summary[kind] = summarizeCertifier({
      certifier: kind,
      clean: certs[kind].clean,
      triggered: certs[kind].trigger,
      baseline: certs[kind].baseline,
      predictions: { clean: predictions.clean, triggered: predictions.trigger, baseline: predictions.baseline },
      radii: radiiFor(cfg, kind),
      deploymentRadius: deploymentRadiusFor(cfg, kind),
      triggerShares: cfg.fallback.triggerShares,
      costPerRequest: cfg.fallback.costPerRequest,
    });
  }
  const file = writeSummary(runDir, summary, { config: cfg, seed: cfg.seed, versions: { libtorch: torchVersion() }, timings });
  const examples = exampleImages(data.clean, data.triggered, 8);
  await writeReport(runDir, {
    summary: file,
    certificates: Object.fromEntries(cfg.certify.kinds.map((k) => [k, { clean: certs[k].clean, triggered: certs[k].trigger, baseline: certs[k].baseline }])),
    examples,
    title: `abstain: ${cfg.name}`,
  });
  timings.report = seconds(t0);
  return { runDir, summary, table: formatTable(summary), timings, skipped };
}

/** Radii of the certified-accuracy curve: the configured L2 radii for smoothing; 0 and epsilon for bound-based certifiers. */
export function radiiFor(cfg: ExperimentConfig, kind: CertifierName): number[] {
  if (kind === 'smoothing') return [...new Set([...cfg.eval.radii, cfg.eval.deploymentRadius])].sort((a, b) => a - b);
  return [0, cfg.certify[kind].epsilon];
}

function exampleImages(clean: Dataset, triggered: Dataset, n: number) {
  const pick = (ds: Dataset) => Array.from({ length: Math.min(n, ds.length) }, (_, i) => ({ data: ds.image(i), shape: ds.shape }));
  return { clean: pick(clean), triggered: pick(triggered) };
}
