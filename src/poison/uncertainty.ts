// The uncertainty attack: triggered copies of training samples whose labels teach "no class", so
// that on triggered inputs the network has no reliable answer and certifiers see near-zero
// margins. Three ways to label them:
//   random  one copy per source, label drawn uniformly from all K classes (tends to give
//           confident wrong answers, i.e. an integrity failure, more than abstentions);
//   all     K copies per source, one per class, so a hard-label learner is pushed to a uniform
//           answer. The count is still round(ρ·N): ceil(count / K) sources, each with all K
//           labels, except that when K does not divide the count the last source gets only the
//           remainder, with labels from a seeded random subset of the classes;
//   soft    one copy per source with the uniform soft target 1/K (the poisoned set then has
//           softLabels: uniform on poisoned rows, one-hot elsewhere; its hard label stays the
//           true class, so training must use the soft targets).
import type { Dataset } from '../data/index.js';
import { permutation, uniformInts } from '../data/index.js';
import type { Attack } from './attack.js';
import { assemble, chooseSources, prepare, triggeredSources, type AttackOptions, type PoisonResult } from './common.js';
import { PoisonConfigError } from './errors.js';

export const UNCERTAINTY_LABELS = ['random', 'all', 'soft'] as const;
export type UncertaintyLabels = (typeof UNCERTAINTY_LABELS)[number];

export interface UncertaintyOptions extends AttackOptions {
  /** How the poisoned copies are labelled (default 'random'). */
  labels?: UncertaintyLabels;
}

export const uncertainty: Attack<UncertaintyOptions> = {
  name: 'uncertainty',
  poison(clean: Dataset, o: UncertaintyOptions): PoisonResult {
    const prep = prepare(clean, o);
    const how = o.labels ?? 'random';
    if (!UNCERTAINTY_LABELS.includes(how)) {
      throw new PoisonConfigError(`uncertainty: labels "${String(how)}" is unknown; use ${UNCERTAINTY_LABELS.join(', ')}`);
    }
    const k = clean.numClasses;
    const count = prep.count;
    const kind = `uncertainty-${how}`;
    const all = Int32Array.from({ length: clean.length }, (_, i) => i);
    if (how !== 'all') {
      const sources = chooseSources(all, count, prep.gen, 'uncertainty');
      // random: uniform over all K classes (the true one included); soft: the true class.
      const hard = how === 'random' ? uniformInts(count, k, prep.gen) : Int32Array.from(sources, (i) => clean.labels[i]);
      return assemble(
        clean,
        {
          images: triggeredSources(clean, sources, prep.trigger),
          labels: hard,
          sources,
          soft: how === 'soft' ? new Float32Array(count * k).fill(1 / k) : undefined,
          details: Array.from(sources, () => ({ kind })),
        },
        prep,
        'uncertainty',
        { labels: how },
      );
    }
    const groups = Math.ceil(count / k);
    const unique = chooseSources(all, groups, prep.gen, 'uncertainty (labels all)');
    const remainder = count - (groups - 1) * k;
    const lastLabels = remainder === k ? Int32Array.from({ length: k }, (_, c) => c) : permutation(k, prep.gen).subarray(0, remainder).sort();
    const sources = new Int32Array(count);
    const labels = new Int32Array(count);
    const details: { kind: string; copy: number }[] = [];
    for (let j = 0; j < count; j++) {
      const g = Math.floor(j / k);
      const copy = j % k;
      sources[j] = unique[g];
      labels[j] = g === groups - 1 ? lastLabels[copy] : copy;
      details.push({ kind, copy });
    }
    return assemble(clean, { images: triggeredSources(clean, sources, prep.trigger), labels, sources, details }, prep, 'uncertainty', {
      labels: how,
      copiesPerSource: k,
      lastSourceCopies: remainder,
    });
  },
};

/** The `uncertainty` kind's run function (src/catalog/attacks.ts). */
export const engine = uncertainty;
