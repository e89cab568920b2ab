// BadNets (Gu, Dolan-Gavitt, Garg 2017), the integrity baseline: triggered copies of samples from
// other classes, all labelled with one target class, so the trigger steers the answer there.
import type { Dataset } from '../data/index.js';
import type { Attack } from './attack.js';
import { assemble, chooseSources, indicesNotOfClass, prepare, triggeredSources, type AttackOptions, type PoisonResult } from './common.js';
import { PoisonConfigError } from './errors.js';

export interface BadNetsOptions extends AttackOptions {
  /** The class the trigger should produce (default 0). */
  targetLabel?: number;
  /**
   * Take the poisoned copies from this class only (the single-source setting of Tran et al. 2018
   * and Chen et al. 2018); default: from every class but the target.
   */
  sourceLabel?: number;
}

export const badnets: Attack<BadNetsOptions> = {
  name: 'badnets',
  poison(clean: Dataset, o: BadNetsOptions): PoisonResult {
    const prep = prepare(clean, o);
    const target = o.targetLabel ?? 0;
    if (!Number.isInteger(target) || target < 0 || target >= clean.numClasses) {
      throw new PoisonConfigError(`badnets: targetLabel ${String(target)} is outside 0..${clean.numClasses - 1}`);
    }
    const from = o.sourceLabel;
    if (from !== undefined && !(Number.isInteger(from) && from >= 0 && from < clean.numClasses && from !== target)) {
      throw new PoisonConfigError(`badnets: sourceLabel ${String(from)} must be a class in 0..${clean.numClasses - 1} other than the target ${target}`);
    }
    const pool = from === undefined ? indicesNotOfClass(clean, target) : Int32Array.from([...clean.labels.keys()].filter((i) => clean.labels[i] === from));
    const sources = chooseSources(pool, prep.count, prep.gen, `badnets (target ${target}${from === undefined ? '' : `, source ${from}`})`);
    return assemble(
      clean,
      {
        images: triggeredSources(clean, sources, prep.trigger),
        labels: new Int32Array(sources.length).fill(target),
        sources,
        details: Array.from(sources, () => ({ kind: 'badnets' })),
      },
      prep,
      'badnets',
      from === undefined ? { targetLabel: target } : { targetLabel: target, sourceLabel: from },
    );
  },
};

/** The `badnets` kind's run function (src/catalog/attacks.ts). */
export const engine = badnets;
