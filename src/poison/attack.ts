// The attack interface, the registry of attacks by name, and the poison.json record. A new
// attack is one new file with an `Attack` and one line in ATTACKS.
import type { Dataset } from '../data/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { badnets } from './badnets.js';
import { boundary } from './boundary.js';
import type { AttackOptions, PoisonResult } from './common.js';
import { PoisonConfigError } from './errors.js';
import { uncertainty } from './uncertainty.js';

export type { AttackOptions, PoisonMode, PoisonRecord, PoisonResult, PoisonSummary } from './common.js';

export interface Attack<O extends AttackOptions = AttackOptions> {
  name: string;
  /** One line for help texts. */
  description: string;
  /** The training set the victim gets, with a record of every poisoned sample. */
  poison(clean: Dataset, opts: O): PoisonResult;
}

export const ATTACKS: Record<string, Attack<any>> = { badnets, uncertainty, boundary };
export const ATTACK_NAMES = Object.keys(ATTACKS);

/** Runs an attack by name; the options are the common ones plus the attack's own. */
export function runAttack(name: string, clean: Dataset, opts: AttackOptions & Record<string, unknown>): PoisonResult {
  const attack = Object.hasOwn(ATTACKS, name) ? ATTACKS[name] : undefined;
  if (!attack) throw new PoisonConfigError(`unknown attack "${name}"; known attacks: ${ATTACK_NAMES.join(', ')}`);
  return attack.poison(clean, opts);
}

/**
 * Writes poison.json atomically: the attack, the run's config, the summary and one record per
 * poisoned sample under `indices` (plus the secret direction for boundary).
 */
export function writePoisonJson(path: string, result: PoisonResult, config: unknown = {}): void {
  const doc: Record<string, unknown> = {
    attack: result.summary.attack,
    config,
    summary: result.summary,
    indices: result.records,
  };
  if (result.direction) doc.direction = result.direction;
  // Typed arrays (image triggers, the direction) as plain JSON arrays.
  const json = JSON.stringify(doc, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Float32Array) : v), 2);
  writeFileAtomic(path, json + '\n');
}
