// The one result shape every certifier returns, per input (see shared/DESIGN.md, "Certifier contract").
// A non-abstaining answer with radius >= r is a certificate at r, right or wrong; "certified
// correct at r" adds prediction = label. The two flags below say which is which.

export type Norm = 'l2' | 'linf';

export interface Certificate {
  /** Position of the input in the evaluated sample (0 .. N-1). */
  index: number;
  /** Index of the input in the data set's split (the test split for evaluated inputs): where to find it elsewhere. */
  datasetIndex: number;
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
  /** The certifier vouches for its answer: prediction is a class and radius > 0 (right or wrong). */
  vouched: boolean;
  /** The answer is the true label (false when abstaining). */
  correct: boolean;
  /** The catalog name of the certifier that made it. */
  certifier: string;
  /** Randomized smoothing detail. */
  counts?: number[];
  pALower?: number;
  /** Bound-based detail: lower bounds of logit[prediction] - logit[j] for every j != prediction. */
  marginLower?: number[];
  /** Wall-clock seconds spent on this input (amortised over its batch). */
  seconds?: number;
}

/** What a certifier returns per input; the runner adds `datasetIndex` (it knows where the inputs came from). */
export type CertificateCore = Omit<Certificate, 'datasetIndex'>;

/** The two flags of a certificate from its answer. */
export function verdict(label: number, prediction: number | 'abstain', radius: number): { vouched: boolean; correct: boolean } {
  return { vouched: prediction !== 'abstain' && radius > 0, correct: prediction === label };
}

/** Certified at radius r: a non-abstaining, correct prediction with radius >= r. */
export function certifiedAt(c: CertificateCore, r: number): boolean {
  return c.prediction !== 'abstain' && c.prediction === c.label && c.radius >= r;
}

/** A certificate vouches for a wrong class at radius r (integrity failure). */
export function certifiedWrongAt(c: CertificateCore, r: number): boolean {
  return c.prediction !== 'abstain' && c.prediction !== c.label && c.radius >= r;
}
