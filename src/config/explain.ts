// The text of `abstain config --explain`: every field's dotted path, type, default and doc string,
// read from the schema so that it can never drift from what is validated, then every kind of the
// catalog with its one-line description.
import { ARCHITECTURES, ATTACKS, CERTIFIERS, DATASETS, DEFENSES, OBJECTIVES, type Family, type KindEntry } from '../catalog/index.js';
import { configSchema, type JsonSchema } from './schema.js';
import { describeAllowed, fieldSchema, leafFields } from './fields.js';

/** Each family of the catalog: the field that picks it, and its kinds. */
export const KIND_FIELDS: [string, Family<Record<string, KindEntry>>][] = [
  ['data.dataset', DATASETS],
  ['model.architecture', ARCHITECTURES],
  ['attack.kind', ATTACKS],
  ['defense.kinds', DEFENSES],
  ['train.objective', OBJECTIVES],
  ['certify.kinds', CERTIFIERS],
] as never;

/** The catalog's kinds, one line each, grouped by the field that picks them. */
export function explainKinds(): string[] {
  const lines: string[] = ['', 'Kinds (the catalog): each is picked by the field named, and its options are the field group of its name.'];
  for (const [field, f] of KIND_FIELDS) {
    lines.push('', `${f.noun}s (${field}):`);
    if (!f.names.length) lines.push('  (none yet)');
    for (const n of f.names) lines.push(`  ${n}: ${f.get(n).description}`);
  }
  return lines;
}

export function explainConfig(root: JsonSchema = configSchema): string {
  const lines: string[] = ['Experiment config: every field (dotted path), what it allows, its default and what it does.', ''];
  let section = '';
  for (const [path, s] of leafFields(root)) {
    const top = path.includes('.') ? path.split('.')[0] : '';
    if (top !== section) {
      section = top;
      if (top) lines.push('', `${top}: ${fieldSchema(top, root)?.description ?? ''}`);
    }
    // A nested group (e.g. attack.trigger) gets its own heading line.
    const parent = path.split('.').slice(0, -1).join('.');
    if (parent.includes('.') && !lines.some((l) => l.startsWith(`${parent}: `))) {
      lines.push(`${parent}: ${fieldSchema(parent, root)?.description ?? ''}`);
    }
    lines.push(`  ${path}: ${describeAllowed(s)}; default ${JSON.stringify(s.default)}${s.alias ? `; flag --${s.alias}` : ''}`);
    lines.push(`      ${s.description ?? ''}`);
  }
  if (root === configSchema) lines.push(...explainKinds());
  return lines.join('\n') + '\n';
}
