// report.html: one self-contained file (inline CSS, inline SVG, images as data URIs, no script,
// nothing fetched) that answers "how much does this poison hurt my certified system?".
// Sections: headline numbers (triggered → fallback first), what was run, the table, the plots,
// per-input samples.
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { CertificateCore } from '../certify/certificate.js';

/** A certificate as the report shows it: the data set index when the runner recorded it. */
type Certificate = CertificateCore & { datasetIndex?: number };
import type { ExperimentConfig } from '../config/schema.js';
import type { CertifierSummary, SetMetrics } from '../pipeline/metrics.js';
import { radiusKey } from '../pipeline/metrics.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ATTACKS } from '../catalog/index.js';
import { esc, fixed, pct, pts } from './format.js';
import { certifierHeadline } from './headline.js';
import { answerText, outcomeAt } from './images.js';
import { reproduceHtml, type ReproduceRow } from './reproduce.js';
import { defensesHtml } from './defenses.js';
import type { SummaryFile } from './summary.js';
import { inlineSvg } from './vega.js';

export interface ReportPlot {
  title: string;
  svg: string;
  caption?: string;
}

export interface CertificateSample {
  certifier: string;
  deploymentRadius: number;
  clean: readonly Certificate[];
  triggered: readonly Certificate[];
}

export interface HtmlReportInput {
  title?: string;
  summary: SummaryFile;
  plots?: readonly ReportPlot[];
  /** An SVG grid of clean and triggered examples (see cleanTriggeredGrid). */
  examplesSvg?: string;
  /** Per-input certificates to list (the first `sampleLimit` of each). */
  samples?: readonly CertificateSample[];
  sampleLimit?: number;
  /** Rows of a reproduce grid, when the report covers one. */
  reproduce?: readonly ReproduceRow[];
}

const CSS = `
body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:1100px;margin:24px auto;padding:0 16px;line-height:1.4}
h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.sub{color:#666;margin-top:0}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
th.avail{background:#fde8e8}th.integ{background:#efe8fb}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.card .v{font-size:26px;font-weight:bold}.card .k{font-size:12px;color:#555}
.bad .v{color:#c62828}.ok .v{color:#2e7d32}.lead{border:2px solid #c62828}.lead .v{font-size:32px}.headline{font-weight:bold}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plot{border:1px solid #eee;padding:6px;margin:0}.plot p{font-size:12px;color:#555;margin:4px 0 0;max-width:480px}
pre{background:#f8f8f8;border:1px solid #eee;padding:8px;font-size:12px;max-height:360px;overflow:auto}
.certified{color:#2e7d32}.wrong{color:#6a1b9a}.fallback{color:#c62828}
`;

export function renderHtmlReport(input: HtmlReportInput): string {
  const s = input.summary;
  const certifiers = Object.values(s.certifiers).filter((c): c is CertifierSummary => !!c);
  const title = input.title ?? `abstain report${nameOf(s.config)}`;
  const body = [
    `<h1>${esc(title)}</h1>`,
    `<p class="sub">Written ${esc(s.createdAt)}. Availability damage = inputs sent to the fallback; integrity damage = inputs certified for a wrong class.</p>`,
    // The headline first: where the triggered inputs went, before how the run was made.
    section('Headline', certifiers.map(headline).join('\n')),
    section('What was run', whatWasRun(s)),
    section('Results', certifiers.map(resultTable).join('\n')),
    s.defenses ? section('Defenses', defensesHtml(s.defenses)) : '',
    input.reproduce?.length ? section('Reproduce grid', reproduceHtml(input.reproduce)) : '',
    input.plots?.length ? section('Plots', `<div class="plots">${input.plots.map(plot).join('\n')}</div>`) : '',
    input.examplesSvg ? section('Examples', `<div class="plot">${inlineSvg(input.examplesSvg)}</div>`) : '',
    input.samples?.length ? section('Per-input samples', input.samples.map((x) => samplesTable(x, input.sampleLimit ?? 20)).join('\n')) : '',
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body.filter(Boolean).join('\n')}
</body>
</html>
`;
}

/** Writes runDir/report.html; returns its path. */
export function writeHtmlReport(runDir: string, input: HtmlReportInput): string {
  const path = join(runDir, 'report.html');
  writeFileAtomic(path, renderHtmlReport(input));
  return path;
}

const section = (title: string, html: string) => `<section>\n<h2>${esc(title)}</h2>\n${html}\n</section>`;

function nameOf(config: unknown): string {
  const name = (config as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name ? `: ${name}` : '';
}

function headline(cs: CertifierSummary): string {
  const rd = radiusKey(cs.deploymentRadius);
  const card = (value: string, label: string, cls = '') => `<div class="card ${cls}"><div class="v">${esc(value)}</div><div class="k">${esc(label)}</div></div>`;
  // Availability leads: where the triggered inputs went, then the drop of certified accuracy.
  const cards = [
    card(pct(cs.triggered.fallbackRate), 'triggered → fallback (availability)', 'bad lead'),
    card(pct(cs.triggered.certifiedWrongRate), 'triggered → certified wrong (integrity)', 'bad'),
    card(pct(cs.clean.certifiedAccuracy[rd]), `clean certified accuracy @ ${rd}`, 'ok'),
    card(pct(cs.triggered.certifiedAccuracy[rd]), `triggered certified accuracy @ ${rd}`, 'bad'),
    card(pts(cs.attackEffect), 'attack effect (drop)', cs.attackEffect > 0 ? 'bad' : ''),
  ];
  if (cs.baseline) cards.push(card(pct(cs.baseline.certifiedAccuracy[rd]), `unpoisoned baseline @ ${rd}`));
  const line = certifierHeadline(cs).map((l) => `<p class="headline">${esc(l)}</p>`).join('\n');
  return `<h3>${esc(cs.certifier)} (r_d = ${esc(rd)})</h3>\n${line}\n<div class="cards">${cards.join('')}</div>`;
}

function resultTable(cs: CertifierSummary): string {
  const rd = radiusKey(cs.deploymentRadius);
  const radii = Object.keys(cs.clean.certifiedAccuracy).sort((a, b) => Number(a) - Number(b)); // "0" and "1" would come first as object keys
  const row = (name: string, m: SetMetrics) =>
    `<tr><td>${esc(name)}</td>${[pct(m.accuracy), ...radii.map((r) => pct(m.certifiedAccuracy[r])), fixed(m.averageRadius), pct(m.abstainRate), pct(m.fallbackRate), pct(m.certifiedWrongRate)]
      .map((v) => `<td class="num">${esc(v)}</td>`)
      .join('')}</tr>`;
  const sets: [string, SetMetrics | null][] = [
    ['clean', cs.clean], ['triggered', cs.triggered], ['baseline (unpoisoned)', cs.baseline], ['baseline + trigger', cs.baselineTriggered ?? null],
    ['defended', cs.defended ?? null], ['defended + trigger', cs.defendedTriggered ?? null],
  ];
  const system = cs.system
    .map((r) => `<tr>${[pct(r.q), r.fallbackPer1000.toFixed(1), r.costPer1000.toFixed(1), r.wrongPer1000.toFixed(1)].map((v) => `<td class="num">${esc(v)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<h3>${esc(cs.certifier)}</h3>
<table>
<thead>
<tr><th rowspan="2">set</th><th rowspan="2">accuracy</th><th colspan="${radii.length}">certified accuracy at radius</th><th rowspan="2">avg radius</th><th class="avail" colspan="2">availability @ ${esc(rd)}</th><th class="integ">integrity @ ${esc(rd)}</th></tr>
<tr>${radii.map((r) => `<th>${esc(r)}</th>`).join('')}<th class="avail">abstain</th><th class="avail">fallback</th><th class="integ">certified wrong</th></tr>
</thead>
<tbody>
${sets.filter(([, m]) => m).map(([n, m]) => row(n, m!)).join('\n')}
</tbody>
</table>
<p>Attack effect: <b>${esc(pts(cs.attackEffect))}</b> of certified accuracy at r_d = ${esc(rd)} (clean − triggered).</p>
<table>
<thead><tr><th>share of traffic with trigger</th><th>fallback calls / 1000</th><th>fallback cost / 1000</th><th>certified wrong / 1000</th></tr></thead>
<tbody>
${system}
</tbody>
</table>`;
}

function plot(p: ReportPlot): string {
  return `<figure class="plot">${inlineSvg(p.svg)}<figcaption><b>${esc(p.title)}</b>${p.caption ? `<p>${esc(p.caption)}</p>` : ''}</figcaption></figure>`;
}

function samplesTable(x: CertificateSample, limit: number): string {
  const n = Math.min(limit, x.clean.length, x.triggered.length);
  const cell = (c: Certificate) => {
    const o = outcomeAt(c, x.deploymentRadius);
    return `<td>${esc(answerText(c))}</td><td class="${o}">${o}</td>`;
  };
  const rows = Array.from({ length: n }, (_, i) => `<tr><td class="num">${x.clean[i].index}</td><td class="num">${x.clean[i].datasetIndex ?? ''}</td><td class="num">${x.clean[i].label}</td>${cell(x.clean[i])}${cell(x.triggered[i])}</tr>`);
  return `<h3>${esc(x.certifier)}: first ${n} of ${x.clean.length} inputs (r_d = ${esc(radiusKey(x.deploymentRadius))})</h3>
<table>
<thead><tr><th>input</th><th>test-split index</th><th>label</th><th>clean answer</th><th>clean outcome</th><th>triggered answer</th><th>triggered outcome</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function whatWasRun(s: SummaryFile): string {
  const kv = (obj: Record<string, unknown>) =>
    Object.entries(obj).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'number' ? `${v.toFixed(1)} s` : v)}</td></tr>`).join('');
  return `${experimentLine(s.config)}<table><tbody><tr><th>seed</th><td>${esc(s.seed)}</td></tr>${kv(s.versions)}${kv(s.timings)}</tbody></table>
<details><summary>Resolved config</summary><pre>${esc(toYaml(s.config ?? {}))}</pre></details>`;
}

/** One sentence from an ExperimentConfig-shaped config; nothing for anything else. */
function experimentLine(config: unknown): string {
  const c = config as Partial<ExperimentConfig> | null;
  if (!c?.data || !c.attack || !c.train || !c.certify) return '';
  const attack = ATTACKS.has(c.attack.kind) && ATTACKS.get(c.attack.kind).aim === 'none' ? 'no attack' : `${c.attack.kind} attack at poison rate ${`${Number((100 * c.attack.rate).toFixed(3))}%`} (${c.attack.trigger?.kind ?? ''} trigger)`;
  return `<p>${esc(c.data.dataset)}, ${esc(c.model?.architecture ?? '')}, ${esc(attack)}, ${esc(c.train.objective)} training, certified by ${esc(c.certify.kinds?.join(', ') ?? '')}${c.baseline ? ', against an unpoisoned baseline' : ''}.</p>\n`;
}
