// The deployed system: certifier, then the fallback for every input without a certificate at r_d.
// When a share q of the traffic carries the trigger, the fallback sees the mixture
// (1 - q) * clean rate + q * triggered rate; its cost is that load times the cost of one call.
import type { SetMetrics } from './metrics.js';

export interface SystemRow {
  /** Share of requests that carry the trigger. */
  q: number;
  /** Requests sent to the fallback per 1,000 (availability). */
  fallbackPer1000: number;
  /** Fallback cost per 1,000 requests (fallbackPer1000 * cost of one call). */
  costPer1000: number;
  /** Requests answered with a certified wrong class per 1,000 (integrity). */
  wrongPer1000: number;
}

type Rates = Pick<SetMetrics, 'fallbackRate' | 'certifiedWrongRate'>;

/** The share of requests sent to the fallback when a share q carries the trigger. */
export function fallbackLoad(clean: Rates, triggered: Rates, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`fallbackLoad: q must be in [0, 1] (got ${q})`);
  return (1 - q) * clean.fallbackRate + q * triggered.fallbackRate;
}

/** Fallback load, cost and certified-wrong answers per 1,000 requests for each trigger share q. */
export function systemLoad(clean: Rates, triggered: Rates, shares: readonly number[], costPerRequest: number): SystemRow[] {
  const round = (x: number) => Number(x.toFixed(6));
  return shares.map((q) => {
    const fallbackPer1000 = 1000 * fallbackLoad(clean, triggered, q);
    const wrongPer1000 = 1000 * ((1 - q) * clean.certifiedWrongRate + q * triggered.certifiedWrongRate);
    return {
      q,
      fallbackPer1000: round(fallbackPer1000),
      costPer1000: round(fallbackPer1000 * costPerRequest),
      wrongPer1000: round(wrongPer1000),
    };
  });
}
