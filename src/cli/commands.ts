// The commands that run the engine (loaded only when one of them runs, so that --help and
// `config` work without the native addon): demo, run, poison, train, certify, report. Each picks
// its stages from the stage table (src/experiment/stages.ts) and lets the runner do the rest.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ATTACKS } from '../catalog/index.js';
import type { ExperimentConfig } from '../config/index.js';
import { exportIdx, saveImageGrid, type GridImage } from '../data/index.js';
import { MODEL_FILES, RunContext, runExperiment, type RunResult } from '../experiment/index.js';
import { buildModel, loadModelWeights, WeightsError, type Module } from '../nn/index.js';
import { readSafetensorsFileHeader, SafetensorsError } from '../tensor/index.js';
import { CliError, type Io } from './io.js';
import { formatDefendedTable, formatDefensesTable } from '../report/index.js';
import { evalData, headline, readRunConfig } from './run-report.js';

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

/** What every engine command passes the runner: where to log, and whether to resume or redo. */
const runOptions = (io: Io, o: EngineOptions) => ({ ...engineIo(io, o), force: o.force, resume: o.force ? false : (o.resume ?? true) });

function printRun(io: Io, r: RunResult): void {
  io.out.write(r.table);
  io.out.write('\n' + headline(r.summary));
  if (r.skipped.length) io.out.write(`skipped (up to date): ${r.skipped.join(', ')}\n`);
  io.out.write(`summary: ${join(r.runDir, 'summary.json')}\nreport:  ${join(r.runDir, 'report.html')}\n`);
}

export async function runAndPrint(cfg: ExperimentConfig, io: Io, o: EngineOptions): Promise<number> {
  printRun(io, await runExperiment(cfg, runOptions(io, o)));
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
  if (ATTACKS.get(cfg.attack.kind).aim === 'none') {
    const attacks = ATTACKS.names.filter((n) => ATTACKS.get(n).aim !== 'none');
    throw new CliError(`poison: attack.kind is ${cfg.attack.kind}, so there is nothing to poison; give --attack ${attacks.join(', ')}`);
  }
  // The export writes into the run folder too, so it runs while the runner holds the folder's lock.
  await runExperiment(cfg, { ...runOptions(io, o), targets: ['poison'], then: (ctx, runDir) => exportPoison(ctx, runDir, io) });
  return 0;
}

/** poison's files beside poison.json: the poisoned set as IDX (with its soft targets, if any) and examples.png. */
async function exportPoison(ctx: RunContext, runDir: string, io: Io): Promise<void> {
  // The poisoned set is deterministic from the config (and the surrogate the run saved).
  const p = await ctx.poison();
  const train = ctx.data().train;
  const idx = exportIdx(p.dataset, runDir, { prefix: 'poisoned-train' });
  // examples.png: the first row clean sources, the second their poisoned versions (one per source).
  const seen = new Set<number>();
  const picked = p.records.filter((x) => !seen.has(x.source) && seen.add(x.source)).slice(0, 8);
  const name = (y: number) => train.classNames[y] ?? String(y);
  const cells: GridImage[] = [
    ...picked.map((x) => ({ pixels: train.image(x.source), shape: train.shape, caption: `clean, label ${name(x.sourceLabel)}` })),
    ...picked.map((x) => ({ pixels: p.dataset.image(x.index), shape: p.dataset.shape, caption: `poisoned (${x.kind}), label ${name(x.label)}` })),
  ];
  const examples = join(runDir, 'examples.png');
  if (cells.length) saveImageGrid(examples, cells, { columns: picked.length, scale: 3, padding: 2 });
  const poisonPath = join(runDir, 'poison.json');
  const lines = [`poison:   ${poisonPath} (${p.records.length} records under "indices")`, `images:   ${idx.images}`];
  if (idx.softLabels) {
    // IDX labels are hard: for soft-label poison they are the true classes, which alone would undo the attack.
    lines.push(
      `labels:   ${idx.labels} (hard labels; the poisoned samples' soft targets are not in it)`,
      `soft:     ${idx.softLabels} (the targets the victim trains on: ${p.dataset.length}x${p.dataset.numClasses} float32 IDX, type 0x0D)`,
    );
  } else lines.push(`labels:   ${idx.labels}`);
  if (cells.length) lines.push(`examples: ${examples}`);
  io.out.write(lines.join('\n') + '\n');
}

export async function train(cfg: ExperimentConfig, o: EngineOptions, io: Io): Promise<number> {
  const r = await runExperiment(cfg, { ...runOptions(io, o), targets: ['train', 'baseline'] });
  if (r.skipped.length) io.out.write(`skipped (up to date): ${r.skipped.join(', ')}\n`);
  io.out.write(`model:    ${join(r.runDir, MODEL_FILES.train)}\n`);
  if (cfg.baseline) io.out.write(`baseline: ${join(r.runDir, MODEL_FILES.baseline)}\n`);
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
    // A broken file is not an architecture mismatch: say what is wrong with it.
    if (e instanceof SafetensorsError || e instanceof WeightsError) throw e;
    const msg = (e as Error).message.replace(`${file}: `, '').replace(/\s*\(pass \{strict: false\}[^)]*\)/, '');
    const recorded = recordedArchitectureIfAny(file);
    const says = recorded && recorded !== arch ? ` (the file records architecture ${recorded})` : '';
    throw new CliError(`${file} does not match ${what}: ${msg}${says}; give the --arch (and --dataset) the model was trained for`);
  }
  model.eval();
  return model;
}

/** The architecture recorded in a safetensors file by `abstain train`, if any (reads the header only; SafetensorsError for an invalid file). */
function recordedArchitecture(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return readSafetensorsFileHeader(file).metadata.architecture;
}

/** The architecture recorded in the file, or undefined when it records none or is not valid safetensors (the load says why). */
function recordedArchitectureIfAny(file: string): string | undefined {
  try {
    return recordedArchitecture(file);
  } catch {
    return undefined;
  }
}

/** `abstain certify --model FILE`: the certify and report stages, with the user's weights in place of the train stage. */
export async function certify(
  modelFile: string,
  archGiven: boolean,
  overridesFor: (arch?: string) => ExperimentConfig,
  o: EngineOptions,
  io: Io,
): Promise<number> {
  if (!existsSync(modelFile)) throw new CliError(`--model ${modelFile}: no such file`);
  // --arch wins; else the architecture the file records (models saved by abstain do).
  const recorded = archGiven ? undefined : recordedArchitecture(modelFile);
  if (!archGiven && !recorded && existsSync(modelFile)) throw new CliError(`${modelFile} records no architecture; give --arch (see abstain certify --help)`);
  const cfg = { ...overridesFor(recorded), baseline: false };
  const data = evalData(cfg);
  // A wrong --arch or data set is one clear line here, before any run folder is touched.
  loadUserModel(modelFile, cfg.model.architecture, { shape: data.clean.shape, numClasses: data.clean.numClasses, name: cfg.data.dataset }).dispose();
  engineIo(io, o).log(`certify: ${modelFile} (${cfg.model.architecture}) on ${data.clean.length} ${cfg.data.dataset} test inputs, clean and triggered`);
  const r = await runExperiment(cfg, { ...runOptions(io, o), targets: ['certify', 'report'], provided: { train: modelFile }, title: `abstain certify: ${modelFile}` });
  io.out.write(r.table + '\n' + headline(r.summary));
  io.out.write(`summary: ${join(r.runDir, 'summary.json')}\nreport:  ${join(r.runDir, 'report.html')}\n`);
  return 0;
}

/**
 * `abstain defend`: the experiment with its defense stages. Everything up to date is reused, so on
 * a finished run only the defense stages and the defended certification run.
 */
export async function defend(cfg: ExperimentConfig, o: EngineOptions, io: Io): Promise<number> {
  const r = await runExperiment(cfg, runOptions(io, o));
  io.out.write(formatDefendedTable(r.summary));
  if (r.defenses) io.out.write(formatDefensesTable(r.defenses));
  io.out.write('\n' + headline(r.summary));
  if (r.skipped.length) io.out.write(`skipped (up to date): ${r.skipped.join(', ')}\n`);
  io.out.write(`summary: ${join(r.runDir, 'summary.json')}\nreport:  ${join(r.runDir, 'report.html')}\n`);
  return 0;
}

/** `abstain report RUNDIR`: the report stage alone, from the certificates already in the folder. */
export async function report(runDir: string, o: EngineOptions, io: Io): Promise<number> {
  const { cfg, doc } = readRunConfig(runDir);
  const provided = (doc.provided ?? {}) as Record<string, string>;
  const here = { ...cfg, outDir: join(runDir, '..'), name: join(runDir).split(/[\\/]/).filter(Boolean).pop()! };
  const r = await runExperiment(here, { ...runOptions(io, o), targets: ['report'], only: true, provided });
  io.out.write(r.table + '\n' + headline(r.summary));
  io.out.write(`summary: ${join(r.runDir, 'summary.json')}\nreport:  ${join(r.runDir, 'report.html')}\n`);
  return 0;
}
