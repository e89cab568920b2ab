// The commands that run the engine (loaded only when one of them runs, so that --help and
// `config` work without the native addon): demo, run, poison, train, certify, report.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CertifierName, ExperimentConfig } from '../config/index.js';
import { exportIdx, saveImageGrid, type GridImage } from '../data/index.js';
import { runExperiment, prepareData, type RunResult } from '../pipeline/experiment.js';
import { certifySet, modelPredictions } from '../pipeline/certify-set.js';
import { buildModel, loadModelWeights, type Module } from '../nn/index.js';
import { writePoisonJson } from '../poison/index.js';
import { defaultVersions, readCertificatesJsonl } from '../report/index.js';
import { loadSafetensors, dispose, torchVersions } from '../tensor/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { CliError, type Io } from './io.js';
import { evalData, headline, readRunConfig } from './run-report.js';
import { writeRunReport, type CertSets } from '../pipeline/report-stage.js';

export interface EngineOptions {
  progress: boolean;
  force?: boolean;
  resume?: boolean;
}

/** Log lines and progress go to io.err; a live bar only on a real terminal. */
export function engineIo(io: Io, o: EngineOptions) {
  return {
    log: (line: string) => void io.err.write(line + '\n'),
    progress: o.progress && io.err === process.stderr ? ('auto' as const) : false,
  };
}

function printRun(io: Io, r: RunResult): void {
  io.out.write(r.table);
  io.out.write('\n' + headline(r.summary));
  if (r.skipped.length) io.out.write(`skipped (up to date): ${r.skipped.join(', ')}\n`);
  io.out.write(`summary: ${join(r.runDir, 'summary.json')}\nreport:  ${join(r.runDir, 'report.html')}\n`);
}

export async function runAndPrint(cfg: ExperimentConfig, io: Io, o: EngineOptions): Promise<number> {
  const r = await runExperiment(cfg, { ...engineIo(io, o), force: o.force, resume: o.force ? false : (o.resume ?? true) });
  printRun(io, r);
  return 0;
}

export async function demo(cfg: ExperimentConfig, o: EngineOptions, io: Io): Promise<number> {
  const t0 = Date.now();
  const code = await runAndPrint(cfg, io, o);
  io.err.write(`demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return code;
}

export const run = runAndPrint;

export async function poison(cfg: ExperimentConfig, o: EngineOptions, io: Io): Promise<number> {
  if (cfg.attack.kind === 'none') throw new CliError('poison: attack.kind is none, so there is nothing to poison; give --attack uncertainty, boundary or badnets');
  const { log } = engineIo(io, o);
  const data = prepareData(cfg);
  const p = data.poison!;
  const runDir = join(cfg.outDir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(join(runDir, 'config.json'), { config: cfg, seed: cfg.seed, versions: defaultVersions(torchVersions()) });
  const poisonPath = join(runDir, 'poison.json');
  writePoisonJson(poisonPath, p, cfg.attack);
  const idx = exportIdx(p.dataset, runDir, { prefix: 'poisoned-train' });
  // examples.png: the first row clean sources, the second their poisoned versions (one per source).
  const seen = new Set<number>();
  const picked = p.records.filter((r) => !seen.has(r.source) && seen.add(r.source)).slice(0, 8);
  const name = (y: number) => data.train.classNames[y] ?? String(y);
  const cells: GridImage[] = [
    ...picked.map((r) => ({ pixels: data.train.image(r.source), shape: data.train.shape, caption: `clean, label ${name(r.sourceLabel)}` })),
    ...picked.map((r) => ({ pixels: p.dataset.image(r.index), shape: p.dataset.shape, caption: `poisoned (${r.kind}), label ${name(r.label)}` })),
  ];
  const examples = join(runDir, 'examples.png');
  if (cells.length) saveImageGrid(examples, cells, { columns: picked.length, scale: 3, padding: 2 });
  const s = p.summary;
  log(`poison: ${s.attack} made ${s.count} poisoned samples from ${s.sources} sources (${s.mode}, rate ${s.rate}); ${s.size} training samples`);
  io.out.write([`poison:   ${poisonPath} (${p.records.length} records under "indices")`, `images:   ${idx.images}`, `labels:   ${idx.labels}`, ...(cells.length ? [`examples: ${examples}`] : [])].join('\n') + '\n');
  return 0;
}

export async function train(cfg: ExperimentConfig, o: EngineOptions, io: Io): Promise<number> {
  const r = await runExperiment(cfg, { ...engineIo(io, o), until: 'train', force: o.force, resume: o.force ? false : (o.resume ?? true) });
  if (r.skipped.length) io.out.write(`skipped (up to date): ${r.skipped.join(', ')}\n`);
  io.out.write(`model:    ${join(r.runDir, 'model.safetensors')}\n`);
  if (cfg.baseline) io.out.write(`baseline: ${join(r.runDir, 'baseline.safetensors')}\n`);
  return 0;
}

/** Builds the architecture for the data and loads the user's weights; a mismatch is one clear line. */
export function loadUserModel(file: string, arch: string, data: { shape: [number, number, number]; numClasses: number; name: string }): Module {
  if (!existsSync(file)) throw new CliError(`--model ${file}: no such file`);
  const what = `${arch} for ${data.name} (input [${data.shape.join(', ')}], ${data.numClasses} classes)`;
  let model: Module;
  try {
    model = buildModel(arch, { seed: 0, inputShape: data.shape, numClasses: data.numClasses });
  } catch (e) {
    throw new CliError(`--arch ${arch} does not fit the data set ${data.name}: ${(e as Error).message}`);
  }
  try {
    loadModelWeights(file, model);
  } catch (e) {
    model.dispose();
    const msg = (e as Error).message.replace(`${file}: `, '').replace(/\s*\(pass \{strict: false\}[^)]*\)/, '');
    const recorded = recordedArchitecture(file);
    const says = recorded && recorded !== arch ? ` (the file records architecture ${recorded})` : '';
    throw new CliError(`${file} does not match ${what}: ${msg}${says}; give the --arch (and --dataset) the model was trained for`);
  }
  model.eval();
  return model;
}

/** The architecture recorded in a safetensors file by `abstain train`, if any. */
function recordedArchitecture(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const f = loadSafetensors(file);
    dispose(f.tensors);
    return f.metadata.architecture;
  } catch {
    return undefined;
  }
}

export async function certify(
  modelFile: string,
  archGiven: boolean,
  overridesFor: (arch?: string) => ExperimentConfig,
  o: EngineOptions,
  io: Io,
): Promise<number> {
  // --arch wins; else the architecture the file records (models saved by abstain do).
  const recorded = archGiven ? undefined : recordedArchitecture(modelFile);
  if (!archGiven && !recorded && existsSync(modelFile)) throw new CliError(`${modelFile} records no architecture; give --arch (see abstain certify --help)`);
  const cfg = overridesFor(recorded);
  const { log, progress } = engineIo(io, o);
  const data = evalData(cfg);
  const model = loadUserModel(modelFile, cfg.model.architecture, { shape: data.clean.shape, numClasses: data.clean.numClasses, name: cfg.data.dataset });
  const runDir = join(cfg.outDir, cfg.name);
  mkdirSync(runDir, { recursive: true });
  writeJsonAtomic(join(runDir, 'config.json'), { config: cfg, seed: cfg.seed, versions: defaultVersions(torchVersions()), model: resolve(modelFile) });
  log(`certify: ${modelFile} (${cfg.model.architecture}) on ${data.clean.length} ${cfg.data.dataset} test inputs, clean and triggered`);
  const certs: Partial<Record<CertifierName, CertSets>> = {};
  const timings: Record<string, number> = {};
  for (const kind of cfg.certify.kinds) {
    const t0 = Date.now();
    const one = (name: 'clean' | 'trigger', ds: typeof data.clean) =>
      certifySet(cfg, kind, { name, model, data: ds }, { file: join(runDir, `certs-${name}-${kind}.jsonl`), resume: !o.force, progress, log });
    certs[kind] = { clean: await one('clean', data.clean), trigger: await one('trigger', data.triggered) };
    timings[`certify-${kind}`] = Number(((Date.now() - t0) / 1000).toFixed(2));
  }
  const predictions = { clean: modelPredictions(model, data.clean), trigger: modelPredictions(model, data.triggered) };
  const { summary, table } = await writeRunReport(runDir, cfg, certs, { predictions, data, timings, title: `abstain certify: ${modelFile}` });
  io.out.write(table + '\n' + headline(summary));
  io.out.write(`summary: ${join(runDir, 'summary.json')}\nreport:  ${join(runDir, 'report.html')}\n`);
  return 0;
}

export async function report(runDir: string, o: EngineOptions, io: Io): Promise<number> {
  const { cfg, doc } = readRunConfig(runDir);
  const { log } = engineIo(io, o);
  const certs: Partial<Record<CertifierName, CertSets>> = {};
  for (const kind of cfg.certify.kinds) {
    const file = (set: string) => join(runDir, `certs-${set}-${kind}.jsonl`);
    const missing = ['clean', 'trigger'].filter((s) => !existsSync(file(s)));
    if (missing.length) throw new CliError(`${runDir}: missing ${missing.map((s) => `certs-${s}-${kind}.jsonl`).join(' and ')}; run the certify stage first (abstain run, or abstain certify)`);
    certs[kind] = {
      clean: readCertificatesJsonl(file('clean')),
      trigger: readCertificatesJsonl(file('trigger')),
      baseline: cfg.baseline && existsSync(file('baseline')) ? readCertificatesJsonl(file('baseline')) : undefined,
    };
  }
  // The plain models' predictions (clean accuracy) and the example images need the data and the
  // weights; without them the report still builds, with accuracy taken from the certificates.
  let data: ReturnType<typeof evalData> | undefined;
  const predictions: { clean?: number[]; trigger?: number[]; baseline?: number[] } = {};
  try {
    data = evalData(cfg);
    const modelFile = typeof doc.model === 'string' ? doc.model : join(runDir, 'model.safetensors');
    if (existsSync(modelFile)) {
      const m = loadUserModel(modelFile, cfg.model.architecture, { shape: data.clean.shape, numClasses: data.clean.numClasses, name: cfg.data.dataset });
      predictions.clean = modelPredictions(m, data.clean);
      predictions.trigger = modelPredictions(m, data.triggered);
      m.dispose();
    }
    const baselineFile = join(runDir, 'baseline.safetensors');
    if (existsSync(baselineFile)) {
      const m = loadUserModel(baselineFile, cfg.model.architecture, { shape: data.clean.shape, numClasses: data.clean.numClasses, name: cfg.data.dataset });
      predictions.baseline = modelPredictions(m, data.clean);
      m.dispose();
    }
  } catch (e) {
    log(`report: ${(e as Error).message}; accuracy is taken from the certificates and the example grid is left out`);
  }
  // The timings of the run that made the certificates stay in the rebuilt summary.
  let timings: Record<string, number> | undefined;
  try {
    timings = (JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { timings?: Record<string, number> }).timings;
  } catch {
    timings = undefined;
  }
  const { summary, table } = await writeRunReport(runDir, cfg, certs, { predictions, data, timings });
  io.out.write(table + '\n' + headline(summary));
  io.out.write(`summary: ${join(runDir, 'summary.json')}\nreport:  ${join(runDir, 'report.html')}\n`);
  return 0;
}
