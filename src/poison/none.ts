// The `none` kind: no poison. The victim trains on the clean set; the run still certifies the
// triggered test inputs, which shows that the trigger alone does not hurt an unpoisoned model.
import type { Attack } from './attack.js';
import type { AttackOptions } from './common.js';
import { makeTrigger } from './triggers/index.js';

export const engine: Attack<AttackOptions> = {
  name: 'none',
  poison(clean, o) {
    const trigger = makeTrigger(o.trigger, clean.shape);
    return {
      dataset: clean,
      records: [],
      trigger,
      summary: { attack: 'none', mode: o.mode ?? 'add', rate: 0, seed: o.seed ?? 0, cleanSize: clean.length, size: clean.length, count: 0, sources: 0, trigger: trigger.spec },
    };
  },
};
