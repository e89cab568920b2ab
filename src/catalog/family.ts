// A family of kinds (attacks, certifiers, ...): the entries by name, and one way to look a name
// up that fails with one line naming the known kinds, never a fallthrough.
import type { TObject } from './schema-kit.js';

/** What every kind of every family has. */
export interface KindEntry {
  /** One line for help texts, --explain and reports. */
  description: string;
}

/** A kind with options: a sub-schema whose fields all have defaults and doc strings. */
export interface KindWithOptions<O extends TObject = TObject> extends KindEntry {
  options: O;
}

/** An unknown kind name (from a config, a flag or a file): one line, naming the known ones. */
export class UnknownKindError extends Error {
  override name = 'UnknownKindError';
}

export interface Family<E extends Record<string, KindEntry>> {
  /** What one kind is called in messages: 'attack', 'certifier', ... */
  readonly noun: string;
  readonly entries: E;
  /** The names, in catalog order. */
  readonly names: readonly (keyof E & string)[];
  has(name: string): name is keyof E & string;
  /** The entry of a name; UnknownKindError for any other string. */
  get<N extends keyof E & string>(name: N): E[N];
  get(name: string): E[keyof E];
}

export function family<E extends Record<string, KindEntry>>(noun: string, entries: E): Family<E> {
  const names = Object.keys(entries) as (keyof E & string)[];
  const has = (name: string): name is keyof E & string => Object.hasOwn(entries, name);
  return {
    noun,
    entries,
    names,
    has,
    get(name: string): E[keyof E] {
      if (!has(name)) throw new UnknownKindError(`unknown ${noun} "${name}"; known ${noun}s: ${names.join(', ') || '(none yet)'}`);
      return entries[name] as E[keyof E];
    },
  };
}
