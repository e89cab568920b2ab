// The one place where a reproduce grid's results become its table and report, whether its runs
// ran in this process (abstain reproduce) or on a pool of queue workers (abstain reproduce
// --queue): results.md, results.html, results.json (with every seed's figures), timings.json,
// the availability curves (fallback/certified-wrong vs poison rate, per certifier; plot and
// results.json) and report.html, and the table printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFIERS } from '../catalog/index.js';
import { deploymentRadiusFor, type ExperimentConfig } from '../config/index.js';
import { radiusKey, type Summary } from '../pipeline/index.js';
import { availabilityCurves, reproduceHtml, reproduceMarkdown, seedRow, summaryFile, writeReport, type RatePoint, type ReproduceRow, type SeedFigures } from '../report/index.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import type { Io } from './io.js';
import type { GridCell, Scale } from './reproduce-grid.js';

/** One run of the grid: a cell under one seed, with its own run folder. */
export interface PlannedRun {
  cell: GridCell;
  seed: number;
  /** The run folder's name (the cell's name; with several seeds, <cell>-seed<S>). */
  name: string;
  cfg: ExperimentConfig;
}

export interface GridPlan {
  scale: Scale;
  /** The folder that holds every run folder (and, with --queue, the shared results folder). */
  out: string;
  cells: GridCell[];
  seeds: number;
  /** Cells × seeds, in the order a single process runs them. */
  runs: PlannedRun[];
}

/** What a finished run hands back (a queue job's return value has the same shape). */
export interface RunOutcome {
  /** The run folder's name. */
  run: string;
  seed: number;
  summary: Summary;
  seconds: number;
  /** Stages that were up to date or taken from the cache. */
  skipped: string[];
}

/** A run's figures at its certifier's deployment radius; null when its summary lacks the certifier. */
function figures(run: PlannedRun, summary: Summary): SeedFigures | null {
  const kind = run.cell.certifier.family;
  const cs = summary[kind];
  if (!cs) return null;
  const rd = radiusKey(deploymentRadiusFor(run.cfg, kind));
  return {
    seed: run.seed,
    cleanCertifiedAccuracy: cs.clean.certifiedAccuracy[rd] ?? 0,
    triggeredCertifiedAccuracy: cs.triggered.certifiedAccuracy[rd] ?? 0,
    fallbackRate: cs.triggered.fallbackRate,
    certifiedWrongRate: cs.triggered.certifiedWrongRate,
  };
}

/** The rows of the table: one per cell, over the seeds that have an outcome. */
export function gridRows(plan: GridPlan, outcomes: ReadonlyMap<string, RunOutcome>): ReproduceRow[] {
  const rows: ReproduceRow[] = [];
  for (const cell of plan.cells) {
    const perSeed = plan.runs
      .filter((r) => r.cell === cell)
      .map((r) => {
        const o = outcomes.get(r.name);
        return o ? figures(r, o.summary) : null;
      })
      .filter((f): f is SeedFigures => f !== null);
    if (!perSeed.length) continue;
    rows.push(seedRow({ dataset: cell.dataset, attack: cell.attack, certifier: cell.certifier.label, rate: cell.rate }, perSeed));
  }
  return rows;
}

/** Writes the grid's table and report into plan.out and prints the table; returns the rows. */
export async function writeGridResults(plan: GridPlan, outcomes: ReadonlyMap<string, RunOutcome>, totalSeconds: number, io: Io): Promise<ReproduceRow[]> {
  const { scale, out, cells } = plan;
  const rows = gridRows(plan, outcomes);
  // The availability curves: per data set × attack with several rates, one line per certifier.
  const availability = availabilityCurves(rows);
  const points: RatePoint[] = availability.flatMap((c) =>
    c.points.map((p) => ({ rate: p.rate, fallbackRate: p.fallbackRate, certifiedWrongRate: p.certifiedWrongRate, series: c.certifier, panel: `${c.dataset} ${c.attack}` })),
  );
  const timings = Object.fromEntries(plan.runs.filter((r) => outcomes.has(r.name)).map((r) => [r.name, { seconds: outcomes.get(r.name)!.seconds, skipped: outcomes.get(r.name)!.skipped }]));
  const total = Number(totalSeconds.toFixed(1));
  writeJsonAtomic(join(out, 'timings.json'), { scale: scale.name, totalSeconds: total, cells: timings });
  const seedList = [...new Set(plan.runs.map((r) => r.seed))];
  writeJsonAtomic(join(out, 'results.json'), { scale: scale.name, description: scale.description, seeds: seedList, rows, availability });
  const seedsLine = plan.seeds > 1 ? ` Each figure is the mean over ${plan.seeds} seeds (${seedList.join(', ')}) ± the sample standard deviation, in percentage points; results.json has every seed's values.` : '';
  const kinds = [...new Set(cells.map((c) => c.certifier.family))];
  const md = `# abstain reproduce --scale ${scale.name}\n\n${scale.description}.\n\nCertified accuracy at each certifier's deployment radius r_d on clean and triggered test inputs of the poisoned model; fallback and certified-wrong rates on triggered inputs. What r_d means: ${kinds.map((k) => `${k}: ${CERTIFIERS.get(k).certifiedAt}`).join('; ')}.${seedsLine}\n\n${reproduceMarkdown(rows)}`;
  writeFileAtomic(join(out, 'results.md'), md);
  const meta = summaryFile({}, { config: { scale: scale.name, description: scale.description, cells: cells.map((c) => c.name), seeds: seedList }, seed: seedList[0], timings: { total } });
  await writeReport(out, { summary: meta, ratePoints: points, reproduce: rows, title: `abstain reproduce --scale ${scale.name}` });
  const plot = points.length
    ? `<p>Triggered inputs sent to the fallback (solid) and certified wrong (dashed) against the poison rate, one line per certifier (results.json: <code>availability</code>).</p>\n${readFileSync(join(out, 'plots', 'poison-rate.svg'), 'utf8')}`
    : '<p>No attack ran at two or more poison rates: no curve to draw.</p>';
  const html = `<!doctype html>\n<html><head><meta charset="utf-8"><title>abstain reproduce --scale ${scale.name}</title>\n<style>body{font-family:Helvetica,Arial,sans-serif;margin:24px}table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px}td.num{text-align:right}</style></head>\n<body><h1>abstain reproduce --scale ${scale.name}</h1>\n<p>${scale.description}.${seedsLine}</p>\n${reproduceHtml(rows)}\n<h2>Availability: fallback and certified-wrong rate vs poison rate</h2>\n${plot}\n</body></html>\n`;
  writeFileAtomic(join(out, 'results.html'), html);
  io.out.write(reproduceMarkdown(rows));
  const what = plan.seeds > 1 ? `${rows.length} cells × ${plan.seeds} seeds` : `${rows.length} cells`;
  io.out.write(`\n${what} in ${total} s\nresults: ${join(out, 'results.md')}\n         ${join(out, 'results.html')}\nreport:  ${join(out, 'report.html')}\n`);
  return rows;
}
