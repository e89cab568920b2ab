// Metrics of one set of certificates (clean, triggered, or the baseline model's), and the
// per-certifier summary that summary.json holds. Availability and integrity stay apart:
// at the deployment radius r_d every input is exactly one of certified-correct, certified-wrong
// (integrity failure) or sent to the fallback (availability failure).
import { certifiedAt, certifiedWrongAt, type CertificateCore, type Norm } from '../certify/certificate.js';
import { systemLoad, type SystemRow } from './system.js';

export interface SetMetrics {
  /** Inputs in the set. */
  n: number;
  /** Share of correct plain predictions (or, without them, of correct certifier answers). */
  accuracy: number;
  /** Where `accuracy` comes from: the plain model, or the certifier's own prediction. */
  accuracyFrom: 'model' | 'certifier';
  /** Share certified (correct and radius >= r), keyed by radius ("0.25"). */
  certifiedAccuracy: Record<string, number>;
  /** Share where the certifier abstained outright. */
  abstainRate: number;
  /** Share sent to the fallback at r_d: abstain, or a radius below r_d (availability). */
  fallbackRate: number;
  /** Share certified at r_d for a wrong class (integrity). */
  certifiedWrongRate: number;
  /** Mean certified radius, a wrong or abstaining answer counting as 0 (the smoothing papers' ACR). */
  averageRadius: number;
}

export interface CertifierSummary {
  /** The certifier's catalog name. */
  certifier: string;
  /** The norm of its radii (l2 for smoothing, linf for bound-based certifiers). */
  norm: Norm;
  deploymentRadius: number;
  clean: SetMetrics;
  triggered: SetMetrics;
  /** The same clean inputs on an unpoisoned model trained the same way; null without a baseline. */
  baseline: SetMetrics | null;
  /** The triggered inputs on that unpoisoned model (the trigger alone should not hurt it); null without a baseline. */
  baselineTriggered: SetMetrics | null;
  /** Clean minus triggered certified accuracy at r_d, in percentage points. */
  attackEffect: number;
  /** Fallback load and cost when a share q of traffic carries the trigger. */
  system: SystemRow[];
  /**
   * With defenses: the same clean inputs through the defended system (its model, its input
   * transforms; an input a defense refuses counts as a fallback). Absent without defenses.
   */
  defended?: SetMetrics;
  /** The triggered inputs through the defended system. */
  defendedTriggered?: SetMetrics;
  /** Defended clean minus defended triggered certified accuracy at r_d, in points. */
  defendedAttackEffect?: number;
  /** The defended system's fallback load and cost (refusals included). */
  defendedSystem?: SystemRow[];
}

/** summary.json's metrics: one entry per certifier that ran. */
export type Summary = Record<string, CertifierSummary>;

/** The key of a radius in `certifiedAccuracy`: 0.25 -> "0.25", 1 -> "1" (no float noise). */
export const radiusKey = (r: number): string => String(Number(r.toFixed(6)));

export interface SetOptions {
  /** Radii of the certified-accuracy curve; r_d is always added. */
  radii: number[];
  deploymentRadius: number;
  /** Plain (undefended, unsmoothed) model predictions, aligned with the certificates. */
  predictions?: ArrayLike<number>;
}

export function setMetrics(certs: readonly CertificateCore[], opts: SetOptions): SetMetrics {
  const { deploymentRadius: rd, predictions } = opts;
  if (predictions && predictions.length !== certs.length) {
    throw new Error(`metrics: predictions has ${predictions.length} entries, expected one per certificate (${certs.length})`);
  }
  const n = certs.length;
  const share = (count: number) => (n === 0 ? 0 : count / n);
  const count = (pred: (c: CertificateCore, i: number) => boolean) => certs.reduce((k, c, i) => k + (pred(c, i) ? 1 : 0), 0);

  const radii = [...new Set([...opts.radii, rd].map(radiusKey))].map(Number).sort((a, b) => a - b);
  const certifiedAccuracy: Record<string, number> = {};
  for (const r of radii) certifiedAccuracy[radiusKey(r)] = share(count((c) => certifiedAt(c, r)));

  const correct = predictions
    ? (c: CertificateCore, i: number) => predictions[i] === c.label
    : (c: CertificateCore) => c.prediction === c.label;
  const certifiedWrong = count((c) => certifiedWrongAt(c, rd));
  const certifiedRight = count((c) => certifiedAt(c, rd));
  return {
    n,
    accuracy: share(count(correct)),
    accuracyFrom: predictions ? 'model' : 'certifier',
    certifiedAccuracy,
    abstainRate: share(count((c) => c.prediction === 'abstain')),
    fallbackRate: share(n - certifiedWrong - certifiedRight),
    certifiedWrongRate: share(certifiedWrong),
    averageRadius: share(certs.reduce((sum, c) => sum + (certifiedAt(c, 0) ? c.radius : 0), 0)),
  };
}

export interface CertifierInput {
  certifier: string;
  norm: Norm;
  clean: readonly CertificateCore[];
  triggered: readonly CertificateCore[];
  baseline?: readonly CertificateCore[];
  baselineTriggered?: readonly CertificateCore[];
  /** The defended system's certificates on the clean and triggered inputs, refusals already applied (src/defend/metrics.ts withRefusals); both or neither. */
  defended?: readonly CertificateCore[];
  defendedTriggered?: readonly CertificateCore[];
  /** Plain model predictions for each set, when the runner has them. */
  predictions?: { clean?: ArrayLike<number>; triggered?: ArrayLike<number>; baseline?: ArrayLike<number>; baselineTriggered?: ArrayLike<number>; defended?: ArrayLike<number>; defendedTriggered?: ArrayLike<number> };
  radii: number[];
  deploymentRadius: number;
  /** Shares q of traffic with the trigger, and the cost of one fallback call. */
  triggerShares: number[];
  costPerRequest: number;
}

export function summarizeCertifier(input: CertifierInput): CertifierSummary {
  const { radii, deploymentRadius } = input;
  const metrics = (certs: readonly CertificateCore[], predictions?: ArrayLike<number>) =>
    setMetrics(certs, { radii, deploymentRadius, predictions });
  const clean = metrics(input.clean, input.predictions?.clean);
  const triggered = metrics(input.triggered, input.predictions?.triggered);
  const baseline = input.baseline ? metrics(input.baseline, input.predictions?.baseline) : null;
  const baselineTriggered = input.baselineTriggered ? metrics(input.baselineTriggered, input.predictions?.baselineTriggered) : null;
  const key = radiusKey(deploymentRadius);
  const out: CertifierSummary = {
    certifier: input.certifier,
    norm: input.norm,
    deploymentRadius,
    clean,
    triggered,
    baseline,
    baselineTriggered,
    attackEffect: points(clean.certifiedAccuracy[key] - triggered.certifiedAccuracy[key]),
    system: systemLoad(clean, triggered, input.triggerShares, input.costPerRequest),
  };
  if (input.defended || input.defendedTriggered) {
    if (!input.defended || !input.defendedTriggered) throw new Error('metrics: the defended system needs both its clean and its triggered certificates');
    const defended = metrics(input.defended, input.predictions?.defended);
    const defendedTriggered = metrics(input.defendedTriggered, input.predictions?.defendedTriggered);
    out.defended = defended;
    out.defendedTriggered = defendedTriggered;
    out.defendedAttackEffect = points(defended.certifiedAccuracy[key] - defendedTriggered.certifiedAccuracy[key]);
    out.defendedSystem = systemLoad(defended, defendedTriggered, input.triggerShares, input.costPerRequest);
  }
  return out;
}

/** A difference of shares in percentage points, rounded off float noise (0.98 - 0.165 -> 81.5). */
export const points = (shareDiff: number): number => Number((100 * shareDiff).toFixed(6));
