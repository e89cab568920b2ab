// Binomial statistics for randomized smoothing: Clopper–Pearson confidence bounds and the
// two-sided binomial test. All from @stdlib (beta quantile, binomial cdf), never by hand —
// the same calls Cohen et al. make to statsmodels' proportion_confint(method="beta") and
// binom_test.
import betaQuantile from '@stdlib/stats-base-dists-beta-quantile';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';

function checkCounts(where: string, k: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${where}: n ${n} must be an integer >= 1`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new RangeError(`${where}: k ${k} is outside the integers [0, ${n}]`);
}

function checkAlpha(where: string, alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${where}: alpha ${alpha} is outside (0, 1)`);
}

/**
 * One-sided (1 − alpha) Clopper–Pearson lower confidence bound on the success probability p of
 * a binomial from k successes in n trials: P(p >= bound) >= 1 − alpha for every p.
 * It is the alpha quantile of Beta(k, n − k + 1), and 0 when k = 0. Equals statsmodels'
 * `proportion_confint(k, n, alpha=2*alpha, method="beta")[0]` (Cohen et al.'s
 * `_lower_confidence_bound`).
 */
export function clopperPearsonLower(k: number, n: number, alpha: number): number {
  checkCounts('clopperPearsonLower', k, n);
  checkAlpha('clopperPearsonLower', alpha);
  if (k === 0) return 0;
  return betaQuantile(alpha, k, n - k + 1);
}

/**
 * One-sided (1 − alpha) Clopper–Pearson upper confidence bound: the 1 − alpha quantile of
 * Beta(k + 1, n − k), and 1 when k = n.
 */
export function clopperPearsonUpper(k: number, n: number, alpha: number): number {
  checkCounts('clopperPearsonUpper', k, n);
  checkAlpha('clopperPearsonUpper', alpha);
  if (k === n) return 1;
  return betaQuantile(1 - alpha, k + 1, n - k);
}

/**
 * Two-sided (1 − alpha) Clopper–Pearson interval [lo, hi]: P(lo <= p <= hi) >= 1 − alpha.
 * Each side is the one-sided bound at level alpha / 2.
 */
export function clopperPearsonInterval(k: number, n: number, alpha: number): [number, number] {
  checkAlpha('clopperPearsonInterval', alpha);
  return [clopperPearsonLower(k, n, alpha / 2), clopperPearsonUpper(k, n, alpha / 2)];
}

/**
 * p-value of the exact two-sided binomial test of H0: p = 1/2 for k successes in n trials
 * (statsmodels' `binom_test(k, n, p=0.5)`, used by Cohen et al.'s PREDICT). Under p = 1/2 the
 * distribution is symmetric, so the outcomes at least as unlikely as k are the two tails
 * beyond min(k, n − k): p-value = min(1, 2 · P(X <= min(k, n − k))).
 */
export function binomialTestTwoSided(k: number, n: number): number {
  checkCounts('binomialTestTwoSided', k, n);
  const m = Math.min(k, n - k);
  return Math.min(1, 2 * binomialCdf(m, n, 0.5));
}

/** Φ⁻¹(p), the standard normal quantile. */
export function normalInverseCdf(p: number): number {
  return normalQuantile(p, 0, 1);
}
