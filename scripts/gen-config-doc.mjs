// Regenerates docs/config.md from the config schema (via the compiled dist/). Run after changing
// src/config/schema.ts: `npx tsc -p . && node scripts/gen-config-doc.mjs` (--check: exit 1 when stale).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const built = join(root, 'dist', 'src', 'cli', 'config-doc.js');
if (!existsSync(built)) {
  console.error(`gen-config-doc: ${built} is missing; build first (npx tsc -p .)`);
  process.exit(1);
}
const { configReference } = await import(pathToFileURL(built).href);
const target = join(root, 'docs', 'config.md');
const text = configReference();
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error('docs/config.md is out of date; run node scripts/gen-config-doc.mjs');
    process.exit(1);
  }
  console.log('docs/config.md is up to date');
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
