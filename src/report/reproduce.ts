// The results table of `abstain reproduce`, like the paper's: one row per data set × attack ×
// certifier × poison rate, as markdown (README, terminal) and HTML (report).
import { esc, pct } from './format.js';

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
}

const HEAD = ['data set', 'attack', 'certifier', 'poison rate', 'clean cert. acc.', 'triggered cert. acc.', 'drop (points)', 'fallback rate', 'certified wrong'];

function cells(r: ReproduceRow): string[] {
  const drop = 100 * (r.cleanCertifiedAccuracy - r.triggeredCertifiedAccuracy);
  return [
    r.dataset,
    r.attack,
    r.certifier,
    pct(r.rate, r.rate < 0.01 ? 1 : 0),
    pct(r.cleanCertifiedAccuracy),
    pct(r.triggeredCertifiedAccuracy),
    drop.toFixed(1),
    pct(r.fallbackRate),
    pct(r.certifiedWrongRate),
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
