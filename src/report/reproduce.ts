// The results table of `abstain reproduce`, like the paper's: one row per data set × attack ×
// certifier × poison rate, as markdown (README, terminal) and HTML (report). With several seeds
// per cell, each figure is the mean over the seeds ± the sample standard deviation. And the
// availability curves: triggered fallback (and certified-wrong) rate against poison rate.
import mean from '@stdlib/stats-base-mean';
import stdev from '@stdlib/stats-base-stdev';
import { esc, pct } from './format.js';

/** The figures of one cell under one seed. */
export interface SeedFigures {
  seed: number;
  cleanCertifiedAccuracy: number;
  triggeredCertifiedAccuracy: number;
  fallbackRate: number;
  certifiedWrongRate: number;
}

/** Sample standard deviations (n − 1) over the seeds, in the same units as the means. */
export interface FigureSpread {
  cleanCertifiedAccuracy: number;
  triggeredCertifiedAccuracy: number;
  /** Of the drop clean − triggered certified accuracy, per seed (a share, like the others). */
  drop: number;
  fallbackRate: number;
  certifiedWrongRate: number;
}

export interface ReproduceRow {
  dataset: string;
  attack: string;
  /** e.g. "smoothing σ=0.25", "ibp ε=0.1". */
  certifier: string;
  /** Poison rate rho (0.01 = 1%). */
  rate: number;
  cleanCertifiedAccuracy: number;
  triggeredCertifiedAccuracy: number;
  fallbackRate: number;
  certifiedWrongRate: number;
  /** The values under each seed; the figures above are their means. */
  perSeed?: SeedFigures[];
  /** With two or more seeds: the spread of each figure, shown as ± in the table. */
  sd?: FigureSpread;
}

const FIGURES = ['cleanCertifiedAccuracy', 'triggeredCertifiedAccuracy', 'fallbackRate', 'certifiedWrongRate'] as const;

/** One row from the figures of every seed of a cell: the means, and with two or more seeds their standard deviations. */
export function seedRow(cell: Pick<ReproduceRow, 'dataset' | 'attack' | 'certifier' | 'rate'>, perSeed: readonly SeedFigures[]): ReproduceRow {
  if (!perSeed.length) throw new RangeError(`reproduce: no seed finished for ${cell.dataset} ${cell.attack} ${cell.certifier} rate ${cell.rate}`);
  const n = perSeed.length;
  const of = (f: (s: SeedFigures) => number) => Float64Array.from(perSeed, f);
  const row: ReproduceRow = { ...cell, cleanCertifiedAccuracy: 0, triggeredCertifiedAccuracy: 0, fallbackRate: 0, certifiedWrongRate: 0, perSeed: [...perSeed] };
  for (const k of FIGURES) row[k] = n === 1 ? perSeed[0][k] : mean(n, of((s) => s[k]), 1);
  if (n >= 2) {
    const sd = (x: Float64Array) => stdev(n, 1, x, 1);
    row.sd = {
      cleanCertifiedAccuracy: sd(of((s) => s.cleanCertifiedAccuracy)),
      triggeredCertifiedAccuracy: sd(of((s) => s.triggeredCertifiedAccuracy)),
      drop: sd(of((s) => s.cleanCertifiedAccuracy - s.triggeredCertifiedAccuracy)),
      fallbackRate: sd(of((s) => s.fallbackRate)),
      certifiedWrongRate: sd(of((s) => s.certifiedWrongRate)),
    };
  }
  return row;
}

const HEAD = ['data set', 'attack', 'certifier', 'poison rate', 'clean cert. acc.', 'triggered cert. acc.', 'drop (points)', 'fallback rate', 'certified wrong'];

function cells(r: ReproduceRow): string[] {
  const drop = 100 * (r.cleanCertifiedAccuracy - r.triggeredCertifiedAccuracy);
  // ± the standard deviation in percentage points, when there are several seeds
  const pm = (k: keyof FigureSpread) => (r.sd ? ` ± ${(100 * r.sd[k]).toFixed(1)}` : '');
  return [
    r.dataset,
    r.attack,
    r.certifier,
    pct(r.rate, r.rate < 0.01 ? 1 : 0),
    pct(r.cleanCertifiedAccuracy) + pm('cleanCertifiedAccuracy'),
    pct(r.triggeredCertifiedAccuracy) + pm('triggeredCertifiedAccuracy'),
    drop.toFixed(1) + pm('drop'),
    pct(r.fallbackRate) + pm('fallbackRate'),
    pct(r.certifiedWrongRate) + pm('certifiedWrongRate'),
  ];
}

const byKey = (a: ReproduceRow, b: ReproduceRow) =>
  a.dataset.localeCompare(b.dataset) || a.attack.localeCompare(b.attack) || a.certifier.localeCompare(b.certifier) || a.rate - b.rate;

export function reproduceMarkdown(rows: readonly ReproduceRow[]): string {
  const line = (cs: string[]) => `| ${cs.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  const align = `| ${HEAD.map((_, i) => (i < 3 ? '---' : '---:')).join(' | ')} |`;
  return [line(HEAD), align, ...[...rows].sort(byKey).map((r) => line(cells(r)))].join('\n') + '\n';
}

export function reproduceHtml(rows: readonly ReproduceRow[]): string {
  const th = HEAD.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = [...rows]
    .sort(byKey)
    .map((r) => `<tr>${cells(r).map((c, i) => `<td${i >= 3 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table class="results">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** One certifier's line of the availability curve of one attack on one data set: the grid's cells at each poison rate. */
export interface AvailabilityCurve {
  dataset: string;
  attack: string;
  certifier: string;
  /** By rising poison rate; the figures are the cells' (means over the seeds, with their sd when there are several). */
  points: { rate: number; fallbackRate: number; certifiedWrongRate: number; fallbackSd?: number; certifiedWrongSd?: number }[];
}

/**
 * The availability curves of a grid: for every data set × attack with two or more poison rates,
 * one line per certifier through its cells' triggered fallback and certified-wrong rates.
 */
export function availabilityCurves(rows: readonly ReproduceRow[]): AvailabilityCurve[] {
  const attackKey = (r: ReproduceRow) => JSON.stringify([r.dataset, r.attack]);
  const rates = new Map<string, Set<number>>();
  for (const r of rows) rates.set(attackKey(r), (rates.get(attackKey(r)) ?? new Set()).add(r.rate));
  const curves = new Map<string, AvailabilityCurve>();
  for (const r of [...rows].sort(byKey)) {
    if (rates.get(attackKey(r))!.size < 2) continue;
    const key = JSON.stringify([r.dataset, r.attack, r.certifier]);
    if (!curves.has(key)) curves.set(key, { dataset: r.dataset, attack: r.attack, certifier: r.certifier, points: [] });
    curves.get(key)!.points.push({
      rate: r.rate,
      fallbackRate: r.fallbackRate,
      certifiedWrongRate: r.certifiedWrongRate,
      ...(r.sd ? { fallbackSd: r.sd.fallbackRate, certifiedWrongSd: r.sd.certifiedWrongRate } : {}),
    });
  }
  return [...curves.values()];
}
