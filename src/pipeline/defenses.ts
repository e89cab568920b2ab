// What summary.json says about a run's defenses: per defense where it acted, what it found
// (detection against poison.json's records, or true/false rejections), DPA's certified poisoning
// radii against the run's own poison count, its time; and what defending cost on clean inputs.
import type { DetectionMetrics, RejectionRates } from '../defend/metrics.js';

/** DPA's answers on one evaluated set. */
export interface DpaSetSummary {
  n: number;
  /** Share where the vote is the label. */
  accuracy: number;
  /** Share where the vote is the label and certified against the run's poison (radius >= needed). */
  certifiedShare: number;
  /** Median certified poisoning radius ρ̄ over the inputs (any answer). */
  medianRadius: number;
  /** Share correct with radius >= r, keyed by r. */
  certifiedAt: Record<string, number>;
}

export interface DpaSummary {
  partitions: number;
  /** The run's attacker-made training samples. */
  poisonCount: number;
  /** The radius that covers them: one insertion each in mode add, a deletion and an insertion each in mode replace. */
  needed: number;
  /** The k at which an unanimous vote is certified against them (ρ̄ ≤ ⌊(k − 1)/2⌋ for any class: k ≥ 2·needed + 1). */
  partitionsNeeded: number;
  clean: DpaSetSummary;
  triggered: DpaSetSummary;
}

export interface DefenseSummary {
  kind: string;
  /** data, training, model or input (src/catalog/defenses.ts). */
  stage: string;
  /** Wall-clock seconds of the defense itself (a data filter's retraining is in DefensesSummary.retrainSeconds). */
  seconds: number;
  /** Data filters: against the attack's own poison records. */
  detection?: DetectionMetrics & { adaptiveSamples?: number; adaptiveFlagged?: number };
  /** Refusing input defenses: on the evaluated clean and triggered inputs. */
  rejection?: RejectionRates;
  dpa?: DpaSummary;
  /** The defense's own facts (thresholds, pruned channels, flagged triggers, the located window). */
  detail: Record<string, unknown>;
}

export interface DefensesSummary {
  /** In the order of defense.kinds. */
  kinds: string[];
  /** The model the defended sets were certified with: the defended one, or the victim (no data or model defense). */
  model: 'defended' | 'train';
  /** Seconds of retraining the victim without the flagged samples (data filters), 0 without. */
  retrainSeconds: number;
  /** Plain accuracy on the evaluated clean inputs: the victim, the defended system (its model on its inputs), and the difference in points. */
  cleanAccuracy: { undefended: number; defended: number; lost: number } | null;
  defenses: DefenseSummary[];
}

const median = (xs: readonly number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** DPA's figures on one set from its votes ({prediction, radius} per input) and the labels. */
export function dpaSetSummary(votes: readonly { prediction: number; radius: number }[], labels: ArrayLike<number>, needed: number): DpaSetSummary {
  const n = votes.length;
  if (labels.length !== n) throw new RangeError(`dpa: ${labels.length} labels for ${n} votes`);
  const share = (f: (v: { prediction: number; radius: number }, i: number) => boolean) => (n ? votes.filter(f).length / n : 0);
  const correct = (v: { prediction: number }, i: number) => v.prediction === labels[i];
  const radii = [...new Set([1, 10, 100, needed].filter((r) => r > 0))].sort((a, b) => a - b);
  return {
    n,
    accuracy: share(correct),
    certifiedShare: share((v, i) => correct(v, i) && v.radius >= needed),
    medianRadius: median(votes.map((v) => v.radius)),
    certifiedAt: Object.fromEntries(radii.map((r) => [String(r), share((v, i) => correct(v, i) && v.radius >= r)])),
  };
}
