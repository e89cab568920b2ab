// Test helpers: a small well-formedness check for SVG/XML text, and tiny certificate fixtures.
import type { Certificate } from '../../src/certify/certificate.js';

/** Throws unless every tag closes in order (comments, prolog and self-closing tags allowed). */
export function assertWellFormed(xml: string): void {
  const stack: string[] = [];
  const tags = xml.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '').replace(/<!DOCTYPE[^>]*>/i, '').matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:"[^"]*"|'[^']*'|[^'">])*)>/g);
  for (const [, close, name, rest] of tags) {
    if (close) {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
    } else if (!rest.trimEnd().endsWith('/')) stack.push(name);
  }
  if (stack.length) throw new Error(`unclosed: <${stack.join('>, <')}>`);
}

export const cert = (index: number, label: number, prediction: number | 'abstain', radius: number): Certificate => ({
  index,
  label,
  prediction,
  radius,
  norm: 'l2',
  datasetIndex: 100 + index,
  vouched: prediction !== 'abstain' && radius > 0,
  correct: prediction === label,
  certifier: 'smoothing',
});
