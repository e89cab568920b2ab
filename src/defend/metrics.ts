// How a defense is scored (issue 10): data filters by precision and recall against the records in
// poison.json and by the clean samples they cost; input filters by true- and false-rejection
// rates; and a refused input is a fallback, so the certificates of refused inputs become
// abstentions before the pipeline's metrics see them.
import type { CertificateCore } from '../certify/certificate.js';
import type { PoisonRecord } from '../poison/index.js';

export interface DetectionMetrics {
  /** Samples in the filtered set. */
  n: number;
  /** Poisoned samples in it (the records of poison.json). */
  poisoned: number;
  flagged: number;
  /** Flagged samples that are poison. */
  truePositives: number;
  /** truePositives / flagged (1 when nothing was flagged: no false alarm). */
  precision: number;
  /** truePositives / poisoned (1 when there was no poison). */
  recall: number;
  /** Clean samples removed. */
  cleanRemoved: number;
  /** cleanRemoved / clean samples. */
  cleanRemovedRate: number;
}

/** Precision and recall of a set of flagged indices against the poison records (by `index`). */
export function detectionMetrics(flagged: ArrayLike<number>, records: readonly Pick<PoisonRecord, 'index'>[], n: number): DetectionMetrics {
  const poison = new Set(records.map((r) => r.index));
  for (const i of poison) if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`detectionMetrics: poison index ${i} is outside the ${n} samples of the filtered set`);
  const seen = new Set<number>();
  let tp = 0;
  for (let j = 0; j < flagged.length; j++) {
    const i = flagged[j];
    if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new RangeError(`detectionMetrics: flagged index ${i} is outside the ${n} samples of the filtered set`);
    if (seen.has(i)) throw new RangeError(`detectionMetrics: index ${i} is flagged twice`);
    seen.add(i);
    if (poison.has(i)) tp++;
  }
  const cleanRemoved = seen.size - tp;
  return {
    n,
    poisoned: poison.size,
    flagged: seen.size,
    truePositives: tp,
    precision: seen.size ? tp / seen.size : 1,
    recall: poison.size ? tp / poison.size : 1,
    cleanRemoved,
    cleanRemovedRate: n - poison.size ? cleanRemoved / (n - poison.size) : 0,
  };
}

export interface RejectionRates {
  /** Share of triggered inputs refused. */
  trueRejectionRate: number;
  /** Share of clean inputs refused. */
  falseRejectionRate: number;
}

const shareOf = (xs: readonly boolean[]) => (xs.length ? xs.filter(Boolean).length / xs.length : 0);

export function rejectionRates(refusedClean: readonly boolean[], refusedTriggered: readonly boolean[]): RejectionRates {
  return { trueRejectionRate: shareOf(refusedTriggered), falseRejectionRate: shareOf(refusedClean) };
}

/**
 * The certificates the deployed system effectively gives when an input filter runs first: a
 * refused input goes to the fallback, so it counts as an abstention (radius 0). Feed the result
 * to the pipeline's metrics (setMetrics) to get fallback and certified-wrong rates with refusals.
 */
export function withRefusals<C extends CertificateCore>(certs: readonly C[], refused: readonly boolean[]): C[] {
  if (certs.length !== refused.length) throw new RangeError(`withRefusals: ${refused.length} refusal flags for ${certs.length} certificates`);
  return certs.map((c, i) => (refused[i] ? { ...c, prediction: 'abstain', radius: 0, vouched: false, correct: false } : c));
}
