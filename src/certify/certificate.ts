// The one result shape every certifier returns, per input (see shared/DESIGN.md, "Certifier contract").
// "Certified at radius r" means: prediction is not "abstain", equals the label, and radius >= r.

export type Norm = 'l2' | 'linf';
export type CertifierKind = 'smoothing' | 'ibp' | 'crown' | 'deeppoly' | 'tightest';

export interface Certificate {
  /** Position of the input in the evaluated set. */
  index: number;
  /** The true label. */
  label: number;
  /** The certified class, or "abstain" when the certifier gives no answer. */
  prediction: number | 'abstain';
  /**
   * The certified radius in `norm` (0 when abstaining). Smoothing: sigma * Phi^-1(pA_lower).
   * Bound-based: the epsilon that was verified (or the largest verified epsilon when searched).
   */
  radius: number;
  norm: Norm;
  /** prediction !== "abstain" && prediction === label && radius > 0. */
  certified: boolean;
  certifier: CertifierKind;
  /** Randomized smoothing detail. */
  counts?: number[];
  pALower?: number;
  /** Bound-based detail: lower bounds of logit[label] - logit[j] for every j != label. */
  marginLower?: number[];
  /** Wall-clock seconds spent on this input (amortised over its batch). */
  seconds?: number;
}

/** Certified at radius r: a non-abstaining, correct prediction with radius >= r. */
export function certifiedAt(c: Certificate, r: number): boolean {
  return c.prediction !== 'abstain' && c.prediction === c.label && c.radius >= r;
}

/** A certificate vouches for a wrong class at radius r (integrity failure). */
export function certifiedWrongAt(c: Certificate, r: number): boolean {
  return c.prediction !== 'abstain' && c.prediction !== c.label && c.radius >= r;
}
