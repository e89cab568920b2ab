// Why triggered inputs fall back under randomized smoothing: the histogram of the top vote share
// pA (the largest of the noise-sample counts over their sum) on clean and triggered inputs, and
// of its lower confidence bound pA_lower, with the two thresholds the bound is compared with:
// ½ (CERTIFY abstains below) and Φ(r_d/σ) (the radius σ·Φ⁻¹(pA_lower) is below r_d, so the
// deployed system falls back). Poison that splits the votes moves the triggered inputs left of
// both; poison that piles the votes onto one wrong class leaves them right (certified wrong).
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import type { TopLevelSpec } from 'vega-lite';
import type { CertificateCore } from '../certify/certificate.js';
import type { PlotSize } from './plots.js';
import { renderVegaLite } from './vega.js';

export type VoteMeasure = 'pA' | 'pALower';

/** pA = max count / sum of counts, and the certifier's pA_lower when it recorded one; null without counts. */
export function topVoteShare(c: Pick<CertificateCore, 'counts' | 'pALower'>): { pA: number; pALower?: number } | null {
  const counts = c.counts;
  if (!counts?.length) return null;
  const sum = counts.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) return null;
  const top = Math.max(...counts);
  return { pA: top / sum, ...(typeof c.pALower === 'number' && Number.isFinite(c.pALower) ? { pALower: c.pALower } : {}) };
}

export interface VoteShareBin {
  set: string;
  measure: VoteMeasure;
  /** The bin [start, end); the last bin is closed, [start, 1]. */
  start: number;
  end: number;
  count: number;
}

export interface VoteShareHistogram {
  /** Every (set, measure, bin), zero counts included; pALower rows only when some certificate has one. */
  bins: VoteShareBin[];
  /** Per set: certificates with counts (counted in the pA bins) and without (left out). */
  counted: Record<string, number>;
  missing: Record<string, number>;
}

/** Equal-width bins of [0, 1] (default 20), per set and per measure. */
export function voteShareHistogram(sets: readonly { label: string; certs: readonly Pick<CertificateCore, 'counts' | 'pALower'>[] }[], opts: { bins?: number } = {}): VoteShareHistogram {
  const nBins = opts.bins ?? 20;
  if (!Number.isInteger(nBins) || nBins < 1) throw new RangeError(`vote-share histogram: bins ${nBins} must be a positive integer`);
  // pA = top/sum: floor(top·nBins/sum) is exact for integer counts ((29/50)·50 is 28.999… in floats).
  const binOfShare = (top: number, sum: number) => Math.min(nBins - 1, Math.floor((top * nBins) / sum));
  const binOf = (p: number) => Math.min(nBins - 1, Math.max(0, Math.floor(p * nBins)));
  const withLower = sets.some((s) => s.certs.some((c) => topVoteShare(c)?.pALower !== undefined));
  const bins: VoteShareBin[] = [];
  const counted: Record<string, number> = {};
  const missing: Record<string, number> = {};
  for (const s of sets) {
    const pA = new Array<number>(nBins).fill(0);
    const lower = new Array<number>(nBins).fill(0);
    counted[s.label] = 0;
    for (const c of s.certs) {
      const v = topVoteShare(c);
      if (!v) continue;
      counted[s.label]++;
      pA[binOfShare(Math.max(...c.counts!), c.counts!.reduce((a, b) => a + b, 0))]++;
      if (v.pALower !== undefined) lower[binOf(v.pALower)]++;
    }
    missing[s.label] = s.certs.length - counted[s.label];
    const push = (measure: VoteMeasure, counts: number[]) =>
      counts.forEach((count, b) => bins.push({ set: s.label, measure, start: b / nBins, end: (b + 1) / nBins, count }));
    push('pA', pA);
    if (withLower) push('pALower', lower);
  }
  return { bins, counted, missing };
}

/** The two thresholds on pA_lower: ½ (abstain below) and Φ(r_d/σ) (radius below r_d: fallback). */
export function voteShareThresholds(sigma: number, deploymentRadius: number): { abstain: number; fallback: number } {
  if (!(sigma > 0)) throw new RangeError(`vote-share thresholds: sigma ${sigma} must be > 0`);
  return { abstain: 0.5, fallback: normalCdf(deploymentRadius / sigma, 0, 1) };
}

/**
 * σ of a smoothing certifier: `certify.<certifier>.sigma` of the run's config, else recovered
 * from a certificate (radius = σ·Φ⁻¹(pA_lower) with pA_lower in (½, 1)); undefined when neither.
 */
export function smoothingSigma(config: unknown, certifier: string, certs: readonly Pick<CertificateCore, 'radius' | 'pALower' | 'prediction'>[] = []): number | undefined {
  const fromConfig = (config as { certify?: Record<string, { sigma?: unknown } | undefined> } | null)?.certify?.[certifier]?.sigma;
  if (typeof fromConfig === 'number' && fromConfig > 0) return fromConfig;
  for (const c of certs) {
    if (c.prediction === 'abstain' || typeof c.pALower !== 'number' || !(c.pALower > 0.5 && c.pALower < 1) || !(c.radius > 0)) continue;
    return c.radius / normalQuantile(c.pALower, 0, 1);
  }
  return undefined;
}

const MEASURE_TITLE: Record<VoteMeasure, string> = {
  pA: 'top vote share pA = max count / n',
  pALower: 'its lower confidence bound pA_lower (what the thresholds test)',
};

export interface VoteSharePlotOptions extends PlotSize {
  title?: string;
  bins?: number;
  /** σ of the smoothed classifier; without it only the ½ threshold is drawn. */
  sigma?: number;
  deploymentRadius: number;
}

/** The histogram as an SVG: bars per set (overlaid), one panel per measure, the thresholds as rules. */
export function voteSharePlot(sets: readonly { label: string; certs: readonly Pick<CertificateCore, 'counts' | 'pALower'>[] }[], opts: VoteSharePlotOptions): Promise<string> {
  const h = voteShareHistogram(sets, { bins: opts.bins });
  const t = opts.sigma ? voteShareThresholds(opts.sigma, opts.deploymentRadius) : undefined;
  const rules = [
    { x: 0.5, label: '½: smoothing abstains below', y: 2 },
    ...(t ? [{ x: t.fallback, label: `Φ(r_d/σ) = ${t.fallback.toFixed(3)}: falls back below`, y: 16 }] : []),
  ];
  const labels = sets.map((s) => s.label);
  const colours: Record<string, string> = { clean: '#1f77b4', triggered: '#d62728' };
  const other = ['#7f7f7f', '#2ca02c', '#9467bd', '#ff7f0e'];
  const scale = { domain: labels, range: labels.map((l, i) => colours[l] ?? other[i % other.length]) };
  const measures = [...new Set(h.bins.map((b) => b.measure))];
  const panel = (measure: VoteMeasure) => ({
    width: opts.width ?? 420,
    height: opts.height ?? 180,
    layer: [
      {
        data: { values: h.bins.filter((b) => b.measure === measure) },
        mark: { type: 'bar', opacity: 0.55, stroke: null },
        encoding: {
          x: { field: 'start', type: 'quantitative', title: MEASURE_TITLE[measure], scale: { domain: [0, 1], nice: false } },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'inputs', stack: null, scale: { domainMin: 0 }, axis: { format: 'd', tickMinStep: 1 } },
          y2: { datum: 0 },
          color: { field: 'set', type: 'nominal', title: null, scale, sort: null },
        },
      },
      {
        data: { values: rules },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 4], color: '#333' }, encoding: { x: { field: 'x', type: 'quantitative' } } },
          {
            mark: { type: 'text', align: 'right', dx: -4, baseline: 'top', color: '#333', fontSize: 10 },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'label' } },
          },
        ],
      },
    ],
  });
  return renderVegaLite({
    ...(opts.title ? { title: opts.title } : {}),
    vconcat: measures.map(panel),
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec);
}
