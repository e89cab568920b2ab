// The attack interface and the poison.json record. A new attack is one new file exporting its
// `engine` (an Attack) plus one entry in src/catalog/attacks.ts, which describes it and loads it.
import type { Dataset } from '../data/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { AttackOptions, PoisonResult } from './common.js';

export type { AttackOptions, PoisonMode, PoisonRecord, PoisonResult, PoisonSummary } from './common.js';

/** An attack: its catalog name and the poisoning itself. */
export interface Attack<O extends AttackOptions = AttackOptions> {
  /** The name it is registered under in the catalog. */
  name: string;
  /** The training set the victim gets, with a record of every poisoned sample. */
  poison(clean: Dataset, opts: O): PoisonResult;
}

/**
 * Writes poison.json atomically: the attack, the run's config, the summary and one record per
 * poisoned sample under `indices` (plus the secret direction for boundary, the m directions for orthant).
 */
export function writePoisonJson(path: string, result: PoisonResult, config: unknown = {}): void {
  const doc: Record<string, unknown> = {
    attack: result.summary.attack,
    config,
    summary: result.summary,
    indices: result.records,
  };
  if (result.direction) doc.direction = result.direction;
  if (result.directions) doc.directions = result.directions;
  // Typed arrays (image triggers, the direction) as plain JSON arrays.
  const json = JSON.stringify(doc, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float32Array) : v), 2);
  writeFileAtomic(path, json + '\n');
}
