// Runs the compiled test files with Node's own test runner (its closing summary is what CI reads).
// Usage: node scripts/test.mjs [substring ...] to run only files whose path contains a substring.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const testDir = join(root, 'dist', 'test');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(testDir);
const filters = process.argv.slice(2);
const chosen = filters.length ? files.filter((f) => filters.some((s) => relative(root, f).includes(s))) : files;
if (!chosen.length) {
  console.error(`no test files matched ${filters.join(' ')} under ${relative(root, testDir)}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...chosen], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
