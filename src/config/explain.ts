// The text of `abstain config --explain`: every field's dotted path, type, default and doc string,
// read from the schema so that it can never drift from what is validated.
import { configSchema, type JsonSchema } from './schema.js';
import { describeAllowed, fieldSchema, leafFields } from './fields.js';

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
    lines.push(`  ${path}: ${describeAllowed(s)}; default ${JSON.stringify(s.default)}`);
    lines.push(`      ${s.description ?? ''}`);
  }
  return lines.join('\n') + '\n';
}
