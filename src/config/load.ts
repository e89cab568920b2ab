// Loads an experiment config: reads YAML or JSON, applies dotted-path overrides (as CLI flags
// pass them), validates against the schema with ajv and fills every default. An invalid config
// fails once, listing every bad field with what it allows, so a user fixes all in one go.
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { configSchema, type ExperimentConfig, type JsonSchema } from './schema.js';
import { describeAllowed, fieldSchema } from './fields.js';
import { READ_LIMITS, readInputFile } from '../util/files.js';

/**
 * An invalid config; `problems` holds one line per bad field, `field: what is wrong (got X)`.
 * `fromCommandLine` is set when a bad field was given as an override (a CLI flag): the CLI then
 * exits with its usage code (2), as for any malformed flag.
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    source = 'config',
    readonly fromCommandLine = false,
  ) {
    super(`${source}: invalid config\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, verbose: true, strict: true, strictTypes: false });
ajv.addKeyword({ keyword: 'alias', schemaType: 'string' }); // the CLI flag that sets the field (an annotation)
const validate = ajv.compile<ExperimentConfig>(configSchema);

export type Overrides = Record<string, unknown>;

/**
 * Reads, overrides, validates and fills a config. `source` is a path to a .yaml/.yml/.json file
 * or an already parsed object (not modified); omitted, the defaults alone (the demo's config).
 * Overrides are dotted paths, e.g. `{ 'attack.rate': '0.05' }`; string values are coerced to the
 * field's type. Throws ConfigError listing every invalid field.
 */
export function loadConfig(source?: string | object, overrides: Overrides = {}): ExperimentConfig {
  const label = typeof source === 'string' ? source : 'config';
  const raw = typeof source === 'string' ? readConfigFile(source) : structuredClone(source ?? {});
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['(top level): must be a mapping of fields'], label);
  }
  const cycle = cyclePath(raw);
  if (cycle !== undefined) throw new ConfigError([`${cycle || '(top level)'}: a YAML alias refers to a node that contains it; a config must be a tree (copy the values instead)`], label);
  const problems = applyOverrides(raw as Record<string, unknown>, overrides);
  if (!validate(raw)) problems.push(...formatErrors(validate.errors ?? []));
  problems.push(...pathProblems(raw as Record<string, unknown>));
  if (problems.length) {
    const flags = Object.keys(overrides).filter((k) => overrides[k] !== undefined);
    const byFlag = problems.some((p) => flags.some((k) => p.startsWith(`${k}:`) || p.startsWith(`${k}.`) || p.startsWith(`${k}[`)));
    throw new ConfigError(problems, label, byFlag);
  }
  return raw as ExperimentConfig;
}

/** The run folder is outDir/name: a name that is a path (../x, a/b) would land somewhere else. */
function pathProblems(cfg: Record<string, unknown>): string[] {
  const name = cfg.name;
  if (typeof name !== 'string') return [];
  if (name === '' || name === '.' || name === '..' || /[\\/]/.test(name) || name.includes('\0')) {
    return [`name: must be a plain folder name, without / or .. (got ${JSON.stringify(name)}); put the parent folder in outDir (or give --out DIR)`];
  }
  return [];
}

/** The dotted path of the first node that contains itself (a recursive YAML alias), else undefined. */
function cyclePath(x: unknown, path = '', ancestors = new Set<unknown>()): string | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  if (ancestors.has(x)) return path;
  ancestors.add(x);
  for (const [k, v] of Object.entries(x)) {
    const found = cyclePath(v, Array.isArray(x) ? `${path}[${k}]` : path ? `${path}.${k}` : k, ancestors);
    if (found !== undefined) return found;
  }
  ancestors.delete(x);
  return undefined;
}

function readConfigFile(path: string): unknown {
  const bytes = readInputFile(path, READ_LIMITS.config, (why) => new ConfigError([`cannot read the config file: ${why}`], path));
  const text = bytes.toString('utf8');
  let doc: unknown;
  try {
    // YAML is a superset of JSON, but JSON.parse gives JSON files JSON's own error messages.
    doc = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError([`cannot parse: ${(e as Error).message.split('\n')[0]}`], path);
  }
  // An empty file is far more likely a mistake than a wish for every default (the full,
  // long default experiment); `{}` says the latter explicitly.
  if (doc === null || doc === undefined) {
    throw new ConfigError(['the file is empty (or only comments); write the fields to change, or `{}` to run every default (see abstain config --explain)'], path);
  }
  return doc;
}

/** Sets each dotted path in `target`, coercing strings to the field's type; returns the problems. */
export function applyOverrides(target: Record<string, unknown>, overrides: Overrides): string[] {
  const problems: string[] = [];
  for (const [path, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const schema = fieldSchema(path);
    if (!schema) {
      problems.push(`${path}: unknown field (see abstain config --explain)`);
      continue;
    }
    let node = target;
    const keys = path.split('.');
    for (const key of keys.slice(0, -1)) {
      if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = typeof value === 'string' ? coerce(value, schema) : value;
  }
  return problems;
}

const NUMERAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A string from the command line, as the field's type; left as is when it does not fit (validation reports it). */
export function coerce(text: string, s: JsonSchema): unknown {
  if (s.anyOf) {
    for (const branch of s.anyOf) {
      const v = coerce(text, branch);
      if (v !== text || branch.type === 'string') return v;
    }
    return text;
  }
  const t = text.trim();
  switch (s.type) {
    case 'number':
    case 'integer':
      // A numeral too large for a double (1e400) becomes Infinity, so validation names it as such.
      return t !== '' && (Number.isFinite(Number(t)) || NUMERAL.test(t)) ? Number(t) : text;
    case 'boolean':
      return t === 'true' || t === '1' || t === 'yes' ? true : t === 'false' || t === '0' || t === 'no' ? false : text;
    case 'array':
      if (t.startsWith('[')) {
        try {
          return JSON.parse(t);
        } catch {
          return text;
        }
      }
      return t === '' ? [] : t.split(',').map((part) => (s.items ? coerce(part.trim(), s.items) : part.trim()));
    default:
      return text;
  }
}

/** ajv's errors as one line per field: `attack.rate: must be < 1 (got 1.5)`. */
function formatErrors(errors: ErrorObject[]): string[] {
  const byField = new Map<string, string[]>();
  const add = (field: string, line: string) => {
    const lines = byField.get(field) ?? [];
    if (!lines.includes(line)) lines.push(line);
    byField.set(field, lines);
  };
  // An anyOf failure explains its branches' failures at the same path; those are dropped.
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    const field = e.instancePath.slice(1).replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.') || '(top level)';
    if (anyOfPaths.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    const got = ` (got ${show(e.data)})`;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as JsonSchema).properties ?? {}).join(', ');
        add(field === '(top level)' ? extra : `${field}.${extra}`, `unknown field (allowed here: ${allowed})`);
        break;
      }
      case 'enum':
      case 'anyOf':
        add(field, `must be ${describeAllowed(e.parentSchema as JsonSchema)}${got}`);
        break;
      case 'type':
        add(field, `must be ${describeAllowed(e.parentSchema as JsonSchema)}${got}`);
        break;
      default:
        add(field, `${e.message ?? 'is invalid'}${got}`);
    }
  }
  return [...byField].map(([field, lines]) => `${field}: ${lines.join('; ')}`);
}

/** A value as the user wrote it: JSON, except that NaN and ±Infinity (YAML .nan, .inf, 1e400) keep their names. */
function show(v: unknown): string {
  const name = (x: number) => (Number.isNaN(x) ? '.nan' : x > 0 ? '.inf' : '-.inf');
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return `${name(v)}: ${Number.isNaN(v) ? 'not a number' : 'infinite, or a numeral too large for a number'}`;
  }
  const marks: string[] = [];
  const json = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${marks.push(name(x)) - 1}\u0000` : x));
  return json === undefined ? String(v) : json.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}
