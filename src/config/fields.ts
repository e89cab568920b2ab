// Walks the config schema: finds the schema of a dotted path and describes what a field allows,
// so that errors, overrides and --explain all speak from the one schema.
import { configSchema, type JsonSchema } from './schema.js';

/** The schema of a dotted path (`attack.trigger.size`), or undefined when no such field exists. */
export function fieldSchema(path: string, root: JsonSchema = configSchema): JsonSchema | undefined {
  let s: JsonSchema | undefined = root;
  for (const key of path.split('.')) {
    if (!s?.properties || !Object.hasOwn(s.properties, key)) return undefined;
    s = s.properties[key];
  }
  return s;
}

/** Every leaf field (not an object with properties) as [dotted path, schema], in schema order. */
export function leafFields(root: JsonSchema = configSchema, prefix = ''): [string, JsonSchema][] {
  const out: [string, JsonSchema][] = [];
  for (const [key, s] of Object.entries(root.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (s.properties) out.push(...leafFields(s, path));
    else out.push([path, s]);
  }
  return out;
}

/** What a field allows, in words: `number, > 0 and < 1`, `one of add|replace`, `list of number`. */
export function describeAllowed(s: JsonSchema): string {
  if (s.anyOf) return s.anyOf.map(describeAllowed).join(', or ');
  if (s.enum) return `one of ${s.enum.join('|')}`;
  if (s.type === 'array') {
    const item = s.items ? describeAllowed(s.items) : 'any';
    return `list of (${item})${s.minItems ? `, at least ${s.minItems}` : ''}${s.uniqueItems ? ', no repeats' : ''}`;
  }
  const type = s.type === 'integer' ? 'integer' : String(s.type ?? 'any');
  const bounds: string[] = [];
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) bounds.push(`>= ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  if (s.maximum !== undefined) bounds.push(`<= ${s.maximum}`);
  return bounds.length ? `${type}, ${bounds.join(' and ')}` : type;
}
