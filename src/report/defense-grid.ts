// The table of `abstain reproduce --defenses`: one row per defense × attack × certifier (and
// per adaptive attacker), undefended beside defended: how much availability the defense restores
// (triggered fallback undefended → defended), the certified-wrong answers, clean certified
// accuracy and what defending cost there, what the defense found, and its time.
import type { DpaSummary } from '../pipeline/defenses.js';
import type { DetectionMetrics, RejectionRates } from '../defend/metrics.js';
import { esc, pct } from './format.js';

/** A system's figures at r_d (shares). */
export interface GridFigures {
  cleanCertified: number;
  triggeredCertified: number;
  triggeredFallback: number;
  triggeredCertifiedWrong: number;
}

export interface DefenseGridRow {
  attack: string;
  /** e.g. "smoothing σ=0.25". */
  certifier: string;
  /** A catalog defense, or none. */
  defense: string;
  /** Set on an adaptive attacker's row: what it does. */
  adaptive?: string;
  undefended: GridFigures;
  /** Null for none, and for a training defense (DPA), whose system is its own vote. */
  defended: GridFigures | null;
  /** What the defense found, in words. */
  finding: string;
  detection?: DetectionMetrics;
  rejection?: RejectionRates;
  dpa?: DpaSummary;
  /** The defense's own seconds (with a data filter's retraining). */
  defenseSeconds: number;
  /** The whole cell's seconds (stages taken from the cache cost nothing). */
  seconds: number;
}

const HEAD = ['attack', 'certifier', 'defense', 'triggered fallback', 'availability restored (points)', 'triggered certified wrong', 'clean cert. acc.', 'clean cost (points)', 'what the defense found', 'defense s'];

const arrow = (u: number, d: number | undefined) => (d === undefined ? pct(u) : `${pct(u)} → ${pct(d)}`);
const signed = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(1)}`;

function cells(r: DefenseGridRow): string[] {
  const u = r.undefended;
  const d = r.defended ?? undefined;
  return [
    r.attack,
    r.certifier,
    r.adaptive ? `${r.defense} (adaptive attacker)` : r.defense,
    arrow(u.triggeredFallback, d?.triggeredFallback),
    d ? signed(100 * (u.triggeredFallback - d.triggeredFallback)) : '',
    arrow(u.triggeredCertifiedWrong, d?.triggeredCertifiedWrong),
    arrow(u.cleanCertified, d?.cleanCertified),
    d ? signed(100 * (u.cleanCertified - d.cleanCertified)) : '',
    r.finding,
    r.defense === 'none' ? '' : r.defenseSeconds.toFixed(1),
  ];
}

const notes = (rows: readonly DefenseGridRow[]) => {
  const adaptive = [...new Map(rows.filter((r) => r.adaptive).map((r) => [r.defense, r.adaptive!])).entries()];
  return [
    'Rates at each certifier\'s deployment radius r_d on the evaluated test inputs; "a → b" is undefended → defended. A refused input counts as a fallback. Availability restored: triggered fallback undefended minus defended (positive: fewer fallbacks). Clean cost: clean certified accuracy undefended minus defended. DPA\'s system is its own vote (no certifier): its row gives the vote and its certified poisoning radius.',
    ...(adaptive.length ? ['Adaptive attackers: ' + adaptive.map(([d, a]) => `${d}: ${a}`).join('; ') + '.'] : []),
  ];
};

export function defenseGridMarkdown(rows: readonly DefenseGridRow[]): string {
  const line = (cs: string[]) => `| ${cs.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  const align = `| ${HEAD.map((_, i) => (i < 3 || i === 8 ? '---' : '---:')).join(' | ')} |`;
  return [line(HEAD), align, ...rows.map((r) => line(cells(r))), '', ...notes(rows)].join('\n') + '\n';
}

/** The HTML section: the same table, and the notes. */
export function defenseGridHtml(rows: readonly DefenseGridRow[]): string {
  const th = HEAD.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${cells(r).map((c, i) => `<td${i >= 3 && i !== 8 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section>\n<h2>Defenses</h2>\n<table class="results">\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>\n${notes(rows).map((n) => `<p>${esc(n)}</p>`).join('\n')}\n</section>`;
}
