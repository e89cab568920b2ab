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

interface Alias {
  flags: string;
  paths: string[];
  help: string;
  /** Leave the schema's default out of the help line (it depends on the command). */
  noDefault?: boolean;
}

/** The friendly flags; each sets one or more dotted config fields. */
export const ALIASES: Alias[] = [
  { flags: '--dataset <name>', paths: ['data.dataset'], help: 'data set' },
  { flags: '--data-dir <dir>', paths: ['data.dataDir'], help: 'folder with the data set files (cifar10 needs it)' },
  { flags: '--train-limit <n>', paths: ['data.trainLimit'], help: 'use a stratified sample of n training images (0: all)' },
  { flags: '--arch <name>', paths: ['model.architecture'], help: 'network architecture' },
  { flags: '--attack <kind>', paths: ['attack.kind'], help: 'poisoning attack' },
  { flags: '--rate <rho>', paths: ['attack.rate'], help: 'poison rate (0.01 = 1%)' },
  { flags: '--labels <how>', paths: ['attack.labels'], help: 'uncertainty attack: labels of the poisoned copies' },
  { flags: '--trigger <kind>', paths: ['attack.trigger.kind'], help: 'trigger kind' },
  { flags: '--trigger-size <px>', paths: ['attack.trigger.size'], help: 'patch trigger: side in pixels' },
  { flags: '--trigger-position <where>', paths: ['attack.trigger.position'], help: 'patch trigger: position' },
  { flags: '--trigger-content <pattern>', paths: ['attack.trigger.content'], help: 'trigger pattern' },
  { flags: '--objective <name>', paths: ['train.objective'], help: 'training objective' },
  { flags: '--sigma <s>', paths: ['train.sigma', 'certify.smoothing.sigma'], help: 'Gaussian noise: training and smoothing σ' },
  { flags: '--epsilon <e>', paths: ['train.epsilon', 'certify.ibp.epsilon', 'certify.crown.epsilon'], help: 'L∞ radius: IBP/CROWN-IBP training and IBP/CROWN certification' },
  { flags: '--epochs <n>', paths: ['train.epochs'], help: 'training epochs' },
  { flags: '--batch-size <n>', paths: ['train.batchSize'], help: 'training batch size' },
  { flags: '--lr <rate>', paths: ['train.optimizer.lr'], help: 'learning rate' },
  { flags: '--certifier <list>', paths: ['certify.kinds'], help: 'certifiers, comma-separated' },
  { flags: '--n <count>', paths: ['certify.smoothing.n'], help: 'smoothing: estimation samples' },
  { flags: '--n0 <count>', paths: ['certify.smoothing.n0'], help: 'smoothing: selection samples' },
  { flags: '--alpha <p>', paths: ['certify.smoothing.alpha'], help: 'smoothing: failure probability' },
  { flags: '--test-inputs <n>', paths: ['eval.testInputs'], help: 'test inputs certified, clean and triggered each (0: all)' },
  { flags: '--seed <n>', paths: ['seed'], help: 'seed for every random choice' },
  { flags: '--name <name>', paths: ['name'], help: 'run name (the run folder is outDir/name)', noDefault: true },
];

const aliasName = (flags: string) => flags.split(' ')[0].slice(2);

function aliasHelp(a: Alias): string {
  const s = fieldSchema(a.paths[0]);
  if (!s) return a.help;
  return `${a.help} (${describeAllowed(s)}${a.noDefault ? '' : `; default ${JSON.stringify(s.default)}`})`;
}

/** The run folder `--out DIR` as the config's outDir and name. */
export function splitOut(dir: string): { outDir: string; name: string } {
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
  for (const a of ALIASES) {
    cmd.addOption(
      new Option(a.flags, aliasHelp(a)).helpGroup(group).argParser((v: string) => {
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
  const taken = new Set([...ALIASES.map((a) => aliasName(a.flags)), 'out', 'set', 'baseline']);
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
