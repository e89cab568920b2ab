// `abstain reproduce`: runs every cell of the grid as its own run folder under one folder (so an
// interrupted grid resumes cell by cell), then writes one results table like the paper's
// (results.md, results.html, printed too), the fallback/certified-wrong vs poison rate plot and
// report.html.
//
// Stages that do not depend on the poison (the unpoisoned baseline and its certificates) are the
// same in many cells: the runner keeps them in a cache (<out>/cache/) keyed by their stage hash,
// so each is computed once per grid.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFIERS } from '../catalog/index.js';
import { deploymentRadiusFor, loadConfig, type ExperimentConfig, type Overrides } from '../config/index.js';
import { lockRunFolder, runExperiment } from '../experiment/index.js';
import { radiusKey } from '../pipeline/index.js';
import { reproduceHtml, reproduceMarkdown, summaryFile, writeReport, type RatePoint, type ReproduceRow } from '../report/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { engineIo, type EngineOptions } from './commands.js';
import { CliError, type Io } from './io.js';
import { gridCells, SCALES, type GridCell, type GridFilter, type Scale } from './reproduce-grid.js';

export interface ReproduceOptions extends EngineOptions {
  scale: Scale['name'];
  out?: string;
  filter: GridFilter;
  /** List the cells and exit. */
  list?: boolean;
}

interface PlannedCell {
  cell: GridCell;
  cfg: ExperimentConfig;
}

/** Every cell's validated config (all checked before any work starts). */
export function planGrid(o: Pick<ReproduceOptions, 'scale' | 'out' | 'filter'>, user: Overrides): { scale: Scale; out: string; cells: PlannedCell[] } {
  const scale = SCALES[o.scale];
  if (!scale) throw new CliError(`--scale ${o.scale}: unknown; use ${Object.keys(SCALES).join(', ')}`);
  const out = o.out ?? join('runs', `reproduce-${scale.name}`);
  const cells = gridCells(scale, o.filter);
  if (!cells.length) throw new CliError('reproduce: the filters leave no cell of the grid; check --datasets, --attacks, --rates and --certifiers');
  const { outDir: _o, name: _n, ...rest } = user;
  const planned = cells.map((cell) => ({
    cell,
    cfg: loadConfig({}, { ...scale.base, ...cell.datasetDefaults, ...rest, ...cell.overrides, outDir: out, name: cell.name }),
  }));
  return { scale, out, cells: planned };
}

export async function reproduce(o: ReproduceOptions, user: Overrides, io: Io): Promise<number> {
  const { scale, out, cells } = planGrid(o, user);
  if (o.list) {
    io.out.write(`${scale.name}: ${scale.description}\n${cells.length} cells under ${out}:\n`);
    for (const { cell } of cells) io.out.write(`  ${cell.name}\n`);
    return 0;
  }
  const { log, progress } = engineIo(io, o);
  mkdirSync(out, { recursive: true });
  // The grid's own files (results, timings, the shared cache) are written by one process at a time.
  const release = lockRunFolder(out);
  try {
    return await runGrid(o, scale, out, cells, io, log, progress);
  } finally {
    release();
  }
}

async function runGrid(o: ReproduceOptions, scale: Scale, out: string, cells: PlannedCell[], io: Io, log: (line: string) => void, progress: boolean | 'auto'): Promise<number> {
  const rows: ReproduceRow[] = [];
  const points: RatePoint[] = [];
  const timings: Record<string, { seconds: number; skipped: string[] }> = {};
  const t0 = Date.now();
  for (const [i, { cell, cfg }] of cells.entries()) {
    const t = Date.now();
    log(`[${i + 1}/${cells.length}] ${cell.name}`);
    const r = await runExperiment(cfg, { log, progress, force: o.force, resume: o.force ? false : (o.resume ?? true), cache: join(out, 'cache') });
    timings[cell.name] = { seconds: Number(((Date.now() - t) / 1000).toFixed(2)), skipped: r.skipped };
    const kind = cell.certifier.family;
    const cs = r.summary[kind];
    if (!cs) continue;

    const rd = radiusKey(deploymentRadiusFor(cfg, kind));
    rows.push({
      dataset: cell.dataset,
      attack: cell.attack,
      certifier: cell.certifier.label,
      rate: cell.rate,
      cleanCertifiedAccuracy: cs.clean.certifiedAccuracy[rd] ?? 0,
      triggeredCertifiedAccuracy: cs.triggered.certifiedAccuracy[rd] ?? 0,
      fallbackRate: cs.triggered.fallbackRate,
      certifiedWrongRate: cs.triggered.certifiedWrongRate,
    });
    points.push({ rate: cell.rate, fallbackRate: cs.triggered.fallbackRate, certifiedWrongRate: cs.triggered.certifiedWrongRate, series: `${cell.dataset} ${cell.attack} ${cell.certifier.label}` });
  }
  const total = Number(((Date.now() - t0) / 1000).toFixed(1));
  writeJsonAtomic(join(out, 'timings.json'), { scale: scale.name, totalSeconds: total, cells: timings });
  const md = `# abstain reproduce --scale ${scale.name}\n\n${scale.description}.\n\nCertified accuracy at each certifier's deployment radius r_d on clean and triggered test inputs of the poisoned model; fallback and certified-wrong rates on triggered inputs. What r_d means: ${[...new Set(cells.map((c) => c.cell.certifier.family))].map((k) => `${k}: ${CERTIFIERS.get(k).certifiedAt}`).join('; ')}.\n\n${reproduceMarkdown(rows)}`;
  writeFileAtomic(join(out, 'results.md'), md);
  const meta = summaryFile({}, { config: { scale: scale.name, description: scale.description, cells: cells.map((c) => c.cell.name) }, seed: cells[0].cfg.seed, timings: { total } });
  await writeReport(out, { summary: meta, ratePoints: points, reproduce: rows, title: `abstain reproduce --scale ${scale.name}` });
  const plot = readFileSync(join(out, 'plots', 'poison-rate.svg'), 'utf8');
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>abstain reproduce --scale ${scale.name}</title>\n<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px}td.num{text-align:right}</style></head>\n<body><h1>abstain reproduce --scale ${scale.name}</h1>\n<p>${scale.description}.</p>\n${reproduceHtml(rows)}\n<h2>Fallback and certified-wrong rate vs poison rate</h2>\n${plot}\n</body></html>\n`;
  writeFileAtomic(join(out, 'results.html'), html);
  io.out.write(reproduceMarkdown(rows));
  io.out.write(`\n${rows.length} cells in ${total} s\nresults: ${join(out, 'results.md')}\n         ${join(out, 'results.html')}\nreport:  ${join(out, 'report.html')}\n`);
  return 0;
}
