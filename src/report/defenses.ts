// The defenses of a run in the terminal and in report.html: per defense where it acted, what it
// found (detection precision and recall against poison.json, true and false rejections, DPA's
// certified share against the run's poison count), its time; and what defending cost on clean
// inputs. The defended rows of the certifier tables sit beside the undefended ones (table.ts, html.ts).
import Table from 'cli-table3';
import { DEFENSES } from '../catalog/index.js';
import type { DefenseSummary, DefensesSummary } from '../pipeline/defenses.js';
import { radiusKey, type SetMetrics, type Summary } from '../pipeline/metrics.js';
import { esc, pct } from './format.js';

const plain = { head: [] as string[], border: [] as string[] };

/** What a defense found, in one cell. */
export function defenseFinding(d: DefenseSummary): string {
  if (d.detection) {
    const x = d.detection;
    const adaptive = x.adaptiveSamples ? `; ${x.adaptiveFlagged}/${x.adaptiveSamples} adaptive samples flagged` : '';
    return `flagged ${x.flagged}: precision ${x.precision.toFixed(2)}, recall ${x.recall.toFixed(2)} of ${x.poisoned} poisoned, ${x.cleanRemoved} clean removed${adaptive}`;
  }
  if (d.rejection) return `refuses ${pct(d.rejection.trueRejectionRate)} of triggered, ${pct(d.rejection.falseRejectionRate)} of clean inputs`;
  if (d.dpa) {
    const p = d.dpa;
    return `k ${p.partitions}: vote accuracy ${pct(p.clean.accuracy)} clean, ${pct(p.triggered.accuracy)} triggered; median radius ${p.clean.medianRadius}; ${pct(p.clean.certifiedShare)} certified against the ${p.poisonCount} poisoned samples (needs k >= ${p.partitionsNeeded})`;
  }
  return DEFENSES.get(d.kind).finding?.(d.detail) ?? '';
}

const cleanCost = (s: DefensesSummary) => {
  const a = s.cleanAccuracy;
  if (!a) return '';
  return `clean accuracy of the plain model ${pct(a.undefended)} undefended, ${pct(a.defended)} defended (${a.lost >= 0 ? `${a.lost.toFixed(1)} points lost` : `${(-a.lost).toFixed(1)} points gained`})`;
};

export function formatDefensesTable(s: DefensesSummary): string {
  const table = new Table({ head: ['defense', 'acts on', 'what it found', 'seconds'], style: plain, colWidths: [24, 10, 72, 9], wordWrap: true });
  for (const d of s.defenses) table.push([d.kind, d.stage, defenseFinding(d), d.seconds.toFixed(1)]);
  const notes = [
    `defended model: ${s.model === 'defended' ? 'the victim retrained without the flagged samples and/or repaired' : 'the victim (no data filter or repair)'}${s.retrainSeconds ? `; retraining ${s.retrainSeconds.toFixed(1)} s` : ''}`,
    cleanCost(s),
  ].filter(Boolean);
  return `${table.toString()}\n${notes.join('\n')}\n`;
}

/** report.html's defenses section. */
export function defensesHtml(s: DefensesSummary): string {
  const rows = s.defenses
    .map((d) => `<tr><td>${esc(d.kind)}</td><td>${esc(d.stage)}</td><td>${esc(defenseFinding(d))}</td><td class="num">${esc(d.seconds.toFixed(1))}</td></tr>`)
    .join('\n');
  return `<table>
<thead><tr><th>defense</th><th>acts on</th><th>what it found</th><th>seconds</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p>${esc(s.model === 'defended' ? 'The defended rows of the results tables use the victim retrained without the flagged samples and/or repaired.' : 'The defended rows use the victim itself (no data filter or repair), with the input defenses in front of it.')} A refused input counts as a fallback. ${esc(cleanCost(s))}</p>`;
}

/** Undefended beside defended, per certifier: certified accuracy, fallback and certified-wrong rates at r_d on clean and triggered inputs. */
export function formatDefendedTable(summary: Summary): string {
  const parts: string[] = [];
  for (const cs of Object.values(summary)) {
    if (!cs?.defended || !cs.defendedTriggered) continue;
    const rd = radiusKey(cs.deploymentRadius);
    const table = new Table({ style: plain });
    table.push(
      [{ content: `${cs.certifier}, r_d = ${rd}`, colSpan: 2 }, { content: `cert. acc. @ ${rd}`, colSpan: 2, hAlign: 'center' }, { content: 'fallback (availability)', colSpan: 2, hAlign: 'center' }, { content: 'certified wrong (integrity)', colSpan: 2, hAlign: 'center' }],
      ['inputs', 'accuracy (undef. → def.)', 'undefended', 'defended', 'undefended', 'defended', 'undefended', 'defended'],
    );
    const row = (name: string, u: SetMetrics, d: SetMetrics) =>
      table.push([name, `${pct(u.accuracy)} → ${pct(d.accuracy)}`, pct(u.certifiedAccuracy[rd]), pct(d.certifiedAccuracy[rd]), pct(u.fallbackRate), pct(d.fallbackRate), pct(u.certifiedWrongRate), pct(d.certifiedWrongRate)]);
    row('clean', cs.clean, cs.defended);
    row('triggered', cs.triggered, cs.defendedTriggered);
    parts.push(table.toString());
  }
  return parts.length ? parts.join('\n') + '\n' : '';
}
