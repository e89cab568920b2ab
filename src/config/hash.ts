// Picking config fields by dotted path, and a canonical JSON of them, so that equal configs hash
// equally whatever the key order (the stage table in src/experiment/stages.ts hashes with them).
import { createHash } from 'node:crypto';

/** The values of the given dotted paths (`attack.trigger`, `certify.smoothing`), keyed by path. */
export function pickFields(cfg: object, paths: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const path of [...new Set(paths)].sort()) {
    picked[path] = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], cfg) ?? null;
  }
  return picked;
}

/** A hex SHA-256 of the given fields of a config (key order does not matter). */
export function configHash(cfg: object, paths: readonly string[]): string {
  return createHash('sha256').update(canonicalJson(pickFields(cfg, paths))).digest('hex');
}

/** JSON with object keys sorted at every depth, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
