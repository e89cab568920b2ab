// The terminal table of a run: per certifier, the clean, triggered and baseline sets, with the
// availability damage (abstain, fallback) and the integrity damage (certified wrong) in
// separate column groups, then the fallback load as traffic carries more triggers.
import Table from 'cli-table3';
import type { CertifierSummary, SetMetrics, Summary } from '../pipeline/metrics.js';
import { radiusKey } from '../pipeline/metrics.js';
import { fixed, pct, pts } from './format.js';

const plain = { head: [] as string[], border: [] as string[] }; // no ANSI colours: the table is also logged to files

export function formatTable(summary: Summary): string {
  const parts: string[] = [];
  for (const cs of Object.values(summary)) if (cs) parts.push(certifierTable(cs), systemTable(cs));
  return parts.join('\n') + '\n';
}

function certifierTable(cs: CertifierSummary): string {
  const rd = radiusKey(cs.deploymentRadius);
  const table = new Table({ style: plain });
  table.push(
    [
      { content: `${cs.certifier}, r_d = ${rd}`, colSpan: 4 },
      { content: 'availability', colSpan: 2, hAlign: 'center' },
      { content: 'integrity', hAlign: 'center' },
    ],
    ['set', 'accuracy', `cert. acc. @ ${rd}`, 'avg radius', 'abstain', 'fallback', 'certified wrong'],
  );
  const row = (name: string, m: SetMetrics) =>
    table.push([
      name,
      pct(m.accuracy),
      pct(m.certifiedAccuracy[rd]),
      fixed(m.averageRadius),
      pct(m.abstainRate),
      pct(m.fallbackRate),
      pct(m.certifiedWrongRate),
    ]);
  row('clean', cs.clean);
  row('triggered', cs.triggered);
  if (cs.baseline) row('baseline (unpoisoned)', cs.baseline);
  if (cs.baselineTriggered) row('baseline + trigger', cs.baselineTriggered);
  if (cs.defended) row('defended', cs.defended);
  if (cs.defendedTriggered) row('defended + trigger', cs.defendedTriggered);
  table.push([{ content: `attack effect (clean − triggered cert. acc. @ ${rd}): ${pts(cs.attackEffect)}`, colSpan: 7 }]);
  if (cs.defendedAttackEffect !== undefined) table.push([{ content: `attack effect on the defended system: ${pts(cs.defendedAttackEffect)} (refused inputs count as fallback)`, colSpan: 7 }]);
  return table.toString();
}

function systemTable(cs: CertifierSummary): string {
  const compact = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }; // no rule between rows: a short list of numbers
  const table = new Table({ head: ['share with trigger', 'fallback / 1000', 'cost / 1000', 'certified wrong / 1000'], style: plain, chars: compact });
  for (const s of cs.system) table.push([pct(s.q), s.fallbackPer1000.toFixed(1), s.costPer1000.toFixed(1), s.wrongPer1000.toFixed(1)]);
  return table.toString();
}
