// The run's plots as SVG strings (Vega-Lite, rendered headless): certified accuracy against
// radius, the histogram of certified radii, and fallback / certified-wrong rates against the
// poison rate. Each takes plain data, so a user can plot their own certificates too.
import type { TopLevelSpec } from 'vega-lite';
import type { CertificateCore } from '../certify/certificate.js';

/** A certificate as the report shows it: the data set index when the runner recorded it. */
type Certificate = CertificateCore & { datasetIndex?: number };
import { certifiedAt, type Norm } from '../certify/certificate.js';
import type { CertifierSummary } from '../pipeline/metrics.js';
import { renderVegaLite } from './vega.js';

export interface Series {
  label: string;
  points: { radius: number; accuracy: number }[];
}

export interface PlotSize {
  width?: number;
  height?: number;
}

// Colours keep their meaning across plots: clean blue, triggered red, baseline grey.
const SET_COLOURS: Record<string, string> = { clean: '#1f77b4', triggered: '#d62728', baseline: '#7f7f7f' };
const colourScale = (labels: string[]) => {
  const fallback = ['#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b'];
  let next = 0;
  return { domain: labels, range: labels.map((l) => SET_COLOURS[l] ?? fallback[next++ % fallback.length]) };
};

/** The certified-accuracy curve of a set of certificates at the given radii. */
export function certifiedAccuracyCurve(certs: readonly Certificate[], radii: readonly number[]): Series['points'] {
  const n = certs.length || 1;
  return [...radii].sort((a, b) => a - b).map((radius) => ({
    radius,
    accuracy: certs.filter((c) => certifiedAt(c, radius)).length / n,
  }));
}

/** The clean, triggered and baseline curves stored in a summary (at its configured radii). */
export function curvesFromSummary(cs: CertifierSummary): Series[] {
  const sets: [string, CertifierSummary['clean'] | null][] = [['clean', cs.clean], ['triggered', cs.triggered], ['baseline', cs.baseline]];
  return sets
    .filter((e): e is [string, CertifierSummary['clean']] => e[1] !== null)
    .map(([label, m]) => ({
      label,
      points: Object.entries(m.certifiedAccuracy)
        .map(([r, accuracy]) => ({ radius: Number(r), accuracy }))
        .sort((a, b) => a.radius - b.radius),
    }));
}

export interface CurveOptions extends PlotSize {
  title?: string;
  /** Drawn as a dashed vertical rule. */
  deploymentRadius?: number;
  norm?: Norm;
  /** Mark each point; by default only when no series has more than 12 (a fine grid reads better as a line). */
  points?: boolean;
}

/** Certified accuracy (0–1) against radius, one line per series. */
export function certifiedAccuracyPlot(series: readonly Series[], opts: CurveOptions = {}): Promise<string> {
  const values = series.flatMap((s) => s.points.map((p) => ({ set: s.label, radius: p.radius, accuracy: p.accuracy })));
  const maxRadius = Math.max(0, ...values.map((v) => v.radius));
  const norm = opts.norm === 'linf' ? 'L∞' : 'L2';
  const points = opts.points ?? series.every((s) => s.points.length <= 12);
  const layers: object[] = [
    {
      mark: { type: 'line', point: points ? { filled: true, size: 40 } : false, strokeWidth: 2 },
      encoding: {
        x: { field: 'radius', type: 'quantitative', title: `radius (${norm})`, scale: { domain: [0, maxRadius || 1], nice: false } },
        y: { field: 'accuracy', type: 'quantitative', title: 'certified accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        color: { field: 'set', type: 'nominal', title: null, scale: colourScale(series.map((s) => s.label)), sort: null },
      },
    },
  ];
  if (opts.deploymentRadius !== undefined) {
    layers.push({
      data: { values: [{ rd: opts.deploymentRadius, label: `r_d = ${opts.deploymentRadius}` }] },
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 4], color: '#555' }, encoding: { x: { field: 'rd', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -4, baseline: 'bottom', color: '#555', fontSize: 11 },
          encoding: { x: { field: 'rd', type: 'quantitative' }, y: { datum: 1 }, text: { field: 'label' } },
        },
      ],
    });
  }
  return renderVegaLite({
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 420,
    height: opts.height ?? 260,
    data: { values },
    layer: layers,
  } as TopLevelSpec);
}

export interface HistogramOptions extends PlotSize {
  title?: string;
  /** Bin width; by default the largest radius over 10. */
  binWidth?: number;
}

/**
 * How many answers fall in each band of certified radius, per set; abstentions get their own
 * bar on the left, so a flood of abstains and a collapse of radii toward 0 are both visible.
 */
export function radiusHistogramPlot(sets: readonly { label: string; certs: readonly Certificate[] }[], opts: HistogramOptions = {}): Promise<string> {
  const radii = sets.flatMap((s) => s.certs.filter((c) => c.prediction !== 'abstain').map((c) => c.radius));
  const width = opts.binWidth ?? niceBin(Math.max(0, ...radii) / 10);
  const binOf = (r: number) => Math.floor(r / width + 1e-9);
  const nBins = Math.max(1, ...radii.map((r) => binOf(r) + 1));
  const binLabel = (b: number) => `${fmt(b * width)}–${fmt((b + 1) * width)}`;
  const bins = ['abstain', ...Array.from({ length: nBins }, (_, b) => binLabel(b))];
  const values = sets.flatMap((s) => {
    const counts = new Map(bins.map((b) => [b, 0]));
    for (const c of s.certs) {
      const bin = c.prediction === 'abstain' ? 'abstain' : binLabel(binOf(c.radius));
      counts.set(bin, counts.get(bin)! + 1);
    }
    return bins.map((bin) => ({ set: s.label, bin, count: counts.get(bin)! }));
  });
  return renderVegaLite({
    ...(opts.title ? { title: opts.title } : {}),
    width: opts.width ?? 420,
    height: opts.height ?? 220,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: bins, title: 'certified radius (any class)', axis: { labelAngle: -40 } },
      xOffset: { field: 'set', sort: sets.map((s) => s.label) },
      y: { field: 'count', type: 'quantitative', title: 'inputs', axis: { format: 'd', tickMinStep: 1 } },
      color: { field: 'set', type: 'nominal', title: null, scale: colourScale(sets.map((s) => s.label)), sort: null },
    },
  } as TopLevelSpec);
}

const fmt = (x: number) => String(Number(x.toFixed(4)));
function niceBin(raw: number): number {
  if (!(raw > 0)) return 0.1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((w) => w >= raw * 0.999)!;
}

export interface RatePoint {
  /** Poison rate rho (0.01 = 1%). */
  rate: number;
  fallbackRate: number;
  certifiedWrongRate: number;
  /** Which line the point belongs to (e.g. "smoothing σ 0.25"); one line when omitted. */
  series?: string;
  /** Which panel (e.g. "mnist uncertainty"); one panel when omitted. */
  panel?: string;
}

const METRICS = { domain: ['fallback (availability)', 'certified wrong (integrity)'], range: ['#d62728', '#9467bd'] };

/**
 * Fallback rate (availability) and certified-wrong rate (integrity) against poison rate, log x.
 * One line: colour tells the two rates apart. Several lines (e.g. one per certifier): colour is
 * the line, fallback solid and certified wrong dashed. Several panels: one small plot each.
 */
export function poisonRatePlot(points: readonly RatePoint[], opts: PlotSize & { title?: string } = {}): Promise<string> {
  const values = points.flatMap((p) => [
    { rate: p.rate, series: p.series ?? '', panel: p.panel ?? '', metric: METRICS.domain[0], value: p.fallbackRate },
    { rate: p.rate, series: p.series ?? '', panel: p.panel ?? '', metric: METRICS.domain[1], value: p.certifiedWrongRate },
  ]);
  const multi = new Set(values.map((v) => v.series)).size > 1;
  const panels = [...new Set(values.map((v) => v.panel))];
  const encoding = {
    x: { field: 'rate', type: 'quantitative', title: 'poison rate', scale: { type: 'log' }, axis: { format: '.1%' } },
    y: { field: 'value', type: 'quantitative', title: 'share of triggered inputs', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
    ...(multi
      ? {
          color: { field: 'series', type: 'nominal', title: null },
          strokeDash: { field: 'metric', type: 'nominal', title: null, scale: { domain: METRICS.domain, range: [[1, 0], [5, 3]] } },
          shape: { field: 'metric', type: 'nominal', title: null, scale: { domain: METRICS.domain, range: ['circle', 'triangle'] } },
          detail: { field: 'series' },
        }
      : { color: { field: 'metric', type: 'nominal', title: null, scale: METRICS } }),
  };
  const unit = { width: opts.width ?? 420, height: opts.height ?? 260, mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 }, encoding };
  const spec =
    panels.length > 1
      ? { data: { values }, facet: { field: 'panel', type: 'nominal', title: null, sort: panels }, columns: 2, spec: { ...unit, width: opts.width ?? 320, height: opts.height ?? 220 } }
      : { data: { values }, ...unit };
  return renderVegaLite({ ...(opts.title ? { title: opts.title } : {}), ...spec } as TopLevelSpec);
}
