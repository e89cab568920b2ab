// `abstain reproduce --defenses` at its smoke scale, cut to two defenses: one table row per cell
// (undefended beside defended, adaptive rows included), the undefended run shared by the cells of
// its attack and certifier, the grid's size at the small scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFENSE_SCALES, defenseGridCells } from '../../src/cli/reproduce-defenses.js';
import { cli, tmp } from './helpers.js';

test('reproduce --defenses --scale smoke: results-defenses.md/.html/.json, one row per cell, the victim trained once per attack', async () => {
  const out = join(tmp(), 'dgrid');
  const r = await cli('reproduce', '--defenses', '--scale', 'smoke', '--attacks', 'uncertainty', '--certifiers', 'smoothing-0.25', '--defense', 'strip,fine-pruning', '--out', out, '--no-progress');
  assert.equal(r.code, 0, r.err);
  const cells = defenseGridCells(DEFENSE_SCALES.smoke, { attacks: ['uncertainty'], certifiers: ['smoothing-0.25'], defenses: ['strip', 'fine-pruning'] }, {}, out);
  assert.deepEqual(cells.map((c) => c.name), [
    'mnist-uncertainty-smoothing-0.25-none', 'mnist-uncertainty-smoothing-0.25-fine-pruning', 'mnist-uncertainty-smoothing-0.25-strip',
    'mnist-uncertainty-smoothing-0.25-fine-pruning-adaptive', 'mnist-badnets-smoothing-0.25-strip-adaptive',
  ]);
  const md = readFileSync(join(out, 'results-defenses.md'), 'utf8');
  const rows = md.split('\n').filter((l) => /^\| (uncertainty|badnets) \|/.test(l));
  assert.equal(rows.length, cells.length);
  assert.match(md, /\| uncertainty \| smoothing σ=0\.25 \| strip \| [\d.]+% → [\d.]+% \|/);
  assert.match(md, /fine-pruning \(adaptive attacker\)/);
  assert.match(md, /Adaptive attackers: .*strip: half the budget as strip-cover samples/);
  assert.ok(readFileSync(join(out, 'results-defenses.html'), 'utf8').includes('<h2>Defenses</h2>'));
  const doc = JSON.parse(readFileSync(join(out, 'results-defenses.json'), 'utf8'));
  const by = Object.fromEntries(doc.rows.map((x: { defense: string; adaptive?: string }) => [`${x.defense}${x.adaptive ? '+' : ''}`, x]));
  assert.equal(by.none.defended, null);
  assert.ok(by.strip.rejection && by.strip.defended);
  // the undefended run of the cell is the same victim in every defense's cell
  assert.deepEqual(by.strip.undefended, by.none.undefended);
  assert.deepEqual(by['fine-pruning'].undefended, by.none.undefended);
  const timings = JSON.parse(readFileSync(join(out, 'timings-defenses.json'), 'utf8'));
  for (const c of cells.slice(1, 3)) for (const s of ['poison', 'train', 'certify-smoothing-clean', 'certify-smoothing-trigger']) assert.ok(timings.cells[c.name].skipped.includes(s), `${c.name}: ${s}`);
  assert.equal((r.err.match(/train \(poisoned\) epoch 1\/1/g) ?? []).length, 3, 'one victim for the plain attack, one per adaptive attacker');
  assert.ok(existsSync(join(out, cells[1].name, 'defended.safetensors')));

  const listed = await cli('reproduce', '--defenses', '--scale', 'small', '--list');
  assert.equal(listed.code, 0, listed.err);
  // 4 attacks × (none + 8 defenses) under smoothing, × (none + 7) under IBP (vote-split needs smoothing); 7 + 6 adaptive cells
  assert.match(listed.out, /^81 cells/m);
  const queued = await cli('reproduce', '--defenses', '--queue', 'redis://localhost:6379');
  assert.equal(queued.code, 2);
  assert.match(queued.err, /--defenses cannot be combined with --queue/);
});
