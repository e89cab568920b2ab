// The attacks' engines by their catalog names, synchronously (tests call them many times; the
// catalog's own loading is checked in test/catalog/catalog.test.ts).
import type { Dataset } from '../../src/data/index.js';
import { PoisonConfigError, badnets, boundary, orthant, uncertainty, type AttackOptions, type PoisonResult } from '../../src/poison/index.js';

const ENGINES = { badnets, uncertainty, boundary, orthant } as const;

export function runAttack(name: string, ds: Dataset, opts: AttackOptions & Record<string, unknown>): PoisonResult {
  if (!Object.hasOwn(ENGINES, name)) throw new PoisonConfigError(`unknown attack "${name}"`);
  return ENGINES[name as keyof typeof ENGINES].poison(ds, opts as never);
}
