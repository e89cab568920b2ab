// The engine side of the catalog: each kind's run function, loaded from the kind's own file
// through its catalog entry and checked to be registered under the same name. Every part of a
// run that needs an attack, an objective, a certifier or a defense asks here, by name.
import { ATTACKS, CERTIFIERS, DEFENSES, OBJECTIVES, type Family } from '../catalog/index.js';
import type { Attack } from '../poison/index.js';
import type { CertifierEngine } from '../certify/engine.js';
import type { ObjectiveEngine } from '../train/objective.js';
import type { DefenseEngine } from '../defend/engine.js';

interface Loadable {
  load(): Promise<{ engine: unknown }>;
}

const cache = new Map<string, unknown>();

async function engineOf<T>(f: Family<Record<string, Loadable & { description: string }>>, name: string): Promise<T> {
  const key = `${f.noun}/${name}`;
  if (cache.has(key)) return cache.get(key) as T;
  const { engine } = await f.get(name).load();
  const registered = (engine as { name?: unknown } | undefined)?.name;
  if (registered !== name) throw new Error(`catalog: the ${f.noun} "${name}" loads an engine registered as "${String(registered)}"`);
  cache.set(key, engine);
  return engine as T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const attackEngine = (name: string): Promise<Attack<any>> => engineOf(ATTACKS as never, name);
export const objectiveEngine = (name: string): Promise<ObjectiveEngine<Record<string, unknown>>> => engineOf(OBJECTIVES as never, name);
export const certifierEngine = (name: string): Promise<CertifierEngine<Record<string, unknown>>> => engineOf(CERTIFIERS as never, name);
export const defenseEngine = (name: string): Promise<DefenseEngine> => engineOf(DEFENSES as never, name);
