// Config fields as command-line flags. Every field of the schema is a dotted long option
// (`--attack.rate 0.05`, hidden from --help but listed by `abstain config --explain`), any field
// can be set with `--set path=value`, and the common ones have friendly aliases (`--rate 0.05`).
// Flags are applied in the order given, so a later one wins; loadConfig coerces and validates.
import { basename, dirname, normalize, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { describeAllowed, fieldSchema, leafFields, type Overrides } from '../config/index.js';
import { UsageError } from './io.js';

/** The overrides a command's flags produced, in command-line order. */
export class ConfigFlags {
  readonly entries: [string, unknown][] = [];
  baseline: boolean | undefined;

  push(path: string, value: unknown): void {
    this.entries.push([path, value]);
  }

  /** As loadConfig's overrides: later flags win. */
  overrides(): Overrides {
    const o: Overrides = {};
    if (this.baseline === false) o.baseline = false;
    for (const [path, value] of this.entries) {
      delete o[path]; // keep insertion order = last occurrence
      o[path] = value;
    }
    return o;
  }
}

/** A friendly flag (`--sigma`): the fields of the schema that carry its alias, all set together. */
export interface Alias {
  flag: string;
  paths: string[];
}

/** The aliases, read from the schema (each field names its own, see src/catalog/schema-kit.ts), in schema order. */
export function aliases(): Alias[] {
  const byFlag = new Map<string, string[]>();
  for (const [path, s] of leafFields()) {
    if (!s.alias) continue;
    byFlag.set(s.alias, [...(byFlag.get(s.alias) ?? []), path]);
  }
  return [...byFlag].map(([flag, paths]) => ({ flag, paths }));
}

function aliasHelp(a: Alias): string {
  const s = fieldSchema(a.paths[0])!;
  const what = (s.description ?? '').replace(/\.$/, '');
  const sets = a.paths.length > 1 ? `; sets ${a.paths.join(', ')}` : ` (${a.paths[0]})`;
  const def = a.flag === 'name' ? '' : `; default ${JSON.stringify(s.default)}`;
  return `${what}${sets}: ${describeAllowed(s)}${def}`;
}

/** The run folder `--out DIR` as the config's outDir and name. */
export function splitOut(dir: string): { outDir: string; name: string } {
  if (!dir.trim()) throw new UsageError('--out needs a folder; an empty one would make the current folder the run folder (give --out .  if you mean that)');
  let p = normalize(dir).replace(/[\\/]+$/, '');
  const base = basename(p);
  if (!base || base === '.' || base === '..') p = resolve(p);
  return { outDir: dirname(p), name: basename(p) };
}

export interface ConfigOptionChoices {
  /** Describe --out as this (default: the run folder). */
  outHelp?: string;
  /** Leave out --out (reproduce has its own). */
  noOut?: boolean;
}

/** Adds the config flags to a command; the returned object fills up as the command line is parsed. */
export function addConfigOptions(cmd: Command, choices: ConfigOptionChoices = {}): ConfigFlags {
  const flags = new ConfigFlags();
  const group = 'Config options (every field: --<field> VALUE or --set <field>=VALUE, see `abstain config --explain`):';
  if (!choices.noOut) {
    cmd.addOption(
      new Option('--out <dir>', choices.outHelp ?? 'the run folder (sets outDir and name)').helpGroup(group).argParser((v: string) => {
        const { outDir, name } = splitOut(v);
        flags.push('outDir', outDir);
        flags.push('name', name);
        return v;
      }),
    );
  }
  const all = aliases();
  for (const a of all) {
    cmd.addOption(
      new Option(`--${a.flag} <value>`, aliasHelp(a)).helpGroup(group).argParser((v: string) => {
        for (const p of a.paths) flags.push(p, v);
        return v;
      }),
    );
  }
  cmd.addOption(
    new Option('--no-baseline', 'do not train and certify an unpoisoned baseline model').helpGroup(group),
  );
  cmd.on('option:no-baseline', () => (flags.baseline = false));
  cmd.addOption(
    new Option('--set <field=value>', 'set any config field, e.g. --set attack.trigger.size=4 (repeatable)').helpGroup(group).argParser((v: string) => {
      const eq = v.indexOf('=');
      if (eq <= 0) throw new UsageError(`--set ${v}: expected field=value, e.g. --set attack.rate=0.05`);
      flags.push(v.slice(0, eq).trim(), v.slice(eq + 1));
      return v;
    }),
  );
  // Every leaf field under its own dotted name, hidden from --help (config --explain lists them).
  const taken = new Set([...all.map((a) => a.flag), 'out', 'set', 'baseline']);
  for (const [path] of leafFields()) {
    if (taken.has(path)) continue;
    cmd.addOption(
      new Option(`--${path} <value>`).hideHelp().argParser((v: string) => {
        flags.push(path, v);
        return v;
      }),
    );
  }
  cmd.addOption(
    new Option('--baseline <bool>').hideHelp().argParser((v: string) => {
      flags.push('baseline', v);
      return v;
    }),
  );
  return flags;
}
