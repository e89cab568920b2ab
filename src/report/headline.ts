// The one-line-per-certifier headline printed after a run (abstain run, demo, certify, defend,
// report). It leads with availability — the share of triggered inputs sent to the fallback —
// with the certified-wrong share (integrity: a miss for an availability attack) beside it, then
// the drop of certified accuracy at r_d, clean vs triggered, and the unpoisoned baseline.
import { radiusKey, type CertifierSummary, type Summary } from '../pipeline/metrics.js';

const pct = (v: number | undefined | null) => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : `${(100 * v).toFixed(1)}%`);
const signed = (points: number) => (points.toFixed(1) === '0.0' || points.toFixed(1) === '-0.0' ? '0.0' : `${points > 0 ? '+' : '−'}${Math.abs(points).toFixed(1)}`);

/** The headline of one certifier: one line, and a second for the defended system when there is one. */
export function certifierHeadline(cs: CertifierSummary): string[] {
  const rd = radiusKey(cs.deploymentRadius);
  const clean = cs.clean.certifiedAccuracy[rd];
  let base = '';
  if (cs.baseline) {
    const b = cs.baseline.certifiedAccuracy[rd];
    base = `; unpoisoned baseline ${pct(b)}` + (clean !== undefined && b !== undefined ? ` (clean ${signed(100 * (clean - b))} points vs baseline)` : '');
  }
  const lines = [
    `${cs.certifier} at r_d ${rd}: triggered → fallback ${pct(cs.triggered.fallbackRate)}, certified wrong ${pct(cs.triggered.certifiedWrongRate)}; ` +
      `certified accuracy clean ${pct(clean)} → triggered ${pct(cs.triggered.certifiedAccuracy[rd])} (drop ${cs.attackEffect.toFixed(1)} points)${base}`,
  ];
  if (cs.defended && cs.defendedTriggered) {
    lines.push(
      `${cs.certifier}, defended: triggered → fallback ${pct(cs.defendedTriggered.fallbackRate)}, certified wrong ${pct(cs.defendedTriggered.certifiedWrongRate)} (refused inputs count as fallback); ` +
        `certified accuracy clean ${pct(cs.defended.certifiedAccuracy[rd])} → triggered ${pct(cs.defendedTriggered.certifiedAccuracy[rd])}`,
    );
  }
  return lines;
}

/** Every certifier's headline, one line each (newline-terminated; empty for an empty summary). */
export function headline(summary: Summary): string {
  const lines = Object.values(summary).filter((cs): cs is CertifierSummary => !!cs).flatMap(certifierHeadline);
  return lines.join('\n') + (lines.length ? '\n' : '');
}
