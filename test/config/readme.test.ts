// The README's config example must stay a valid config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';

test('the YAML example in README.md loads and validates', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const m = readme.match(/```yaml\n([\s\S]*?)```/);
  assert.ok(m, 'README has a yaml example');
  const path = join(mkdtempSync(join(tmpdir(), 'abstain-readme-')), 'example.yaml');
  writeFileSync(path, m[1]);
  const cfg = loadConfig(path);
  assert.equal(cfg.attack.kind, 'boundary');
  assert.equal(cfg.data.dataset, 'fashion-mnist');
});
