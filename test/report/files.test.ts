import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSummary, writeSummary } from '../../src/report/summary.js';
import { readCertificatesJsonl, writeCertificatesJsonl } from '../../src/certify/index.js';
import { formatTable } from '../../src/report/table.js';
import { reproduceHtml, reproduceMarkdown } from '../../src/report/reproduce.js';
import { fixture } from './fixture.js';
import { assertWellFormed } from './svg.js';

test('summary.json holds the metrics per certifier, config, seed, versions and timings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-summary-'));
  const f = fixture();
  writeSummary(dir, f.file.certifiers, { config: f.file.config, seed: 7, timings: { train: 3 }, versions: { libtorch: '2.5' } });
  const back = readSummary(dir);
  assert.equal(back.seed, 7);
  assert.equal(back.versions.abstain, '0.1.0');
  assert.equal(back.versions.libtorch, '2.5');
  assert.equal(back.versions.node, process.version);
  assert.deepEqual(back.timings, { train: 3 });
  const s = back.certifiers.smoothing!;
  assert.deepEqual(Object.keys(s).sort(), ['attackEffect', 'baseline', 'baselineTriggered', 'certifier', 'clean', 'deploymentRadius', 'norm', 'system', 'triggered']);
  for (const set of [s.clean, s.triggered, s.baseline!]) {
    for (const k of ['accuracy', 'certifiedAccuracy', 'abstainRate', 'fallbackRate', 'certifiedWrongRate', 'averageRadius']) assert.ok(k in set, k);
  }
  assert.deepEqual(Object.keys(s.system[0]).sort(), ['costPer1000', 'fallbackPer1000', 'q', 'wrongPer1000']);
  assert.deepEqual(readdirSync(dir), ['summary.json'], 'no temporary file left behind');
  assert.throws(() => readSummary(join(dir, 'nope')), /summary\.json: cannot read the summary/);
});

test('certificates round-trip through JSONL, one per line', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'abstain-jsonl-')), 'certs-clean.jsonl');
  const { clean } = fixture();
  writeCertificatesJsonl(path, clean);
  assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, clean.length);
  assert.deepEqual(readCertificatesJsonl(path), clean);
});

test('terminal table: availability and integrity in their own columns', () => {
  const { file } = fixture();
  const s = file.certifiers.smoothing!;
  const text = formatTable(file.certifiers);
  assert.ok(!/\x1b\[/.test(text), 'no colour codes');
  const header = text.split('\n').find((l) => l.includes('availability'))!;
  assert.ok(header.includes('integrity'));
  assert.ok(header.indexOf('availability') < header.indexOf('integrity'));
  const triggeredRow = text.split('\n').find((l) => l.includes('│ triggered'))!;
  // The fixture's triggered set: 14 of 40 certified wrong at r 0.4 >= r_d, the other 26 fallback.
  assert.ok(triggeredRow.includes(`${(100 * s.triggered.certifiedWrongRate).toFixed(1)}%`));
  assert.equal(s.triggered.certifiedWrongRate, 14 / 40);
  assert.equal(s.triggered.fallbackRate, 26 / 40);
  assert.ok(triggeredRow.includes('65.0%') && triggeredRow.includes('35.0%'));
  assert.match(text, /attack effect .*: \+\d+\.\d pt/);
  assert.match(text, /100\.0% +│ 650\.0 +│ 1300\.0 +│ 350\.0/, 'all traffic triggered: 650 fallbacks, cost 2 each');
});

test('reproduce table as markdown and HTML, with the drop in points', () => {
  const rows = [
    { dataset: 'mnist', attack: 'uncertainty', certifier: 'smoothing σ=0.25', rate: 0.01, cleanCertifiedAccuracy: 0.98, triggeredCertifiedAccuracy: 0.165, fallbackRate: 0.095, certifiedWrongRate: 0.74 },
    { dataset: 'mnist', attack: 'uncertainty', certifier: 'smoothing σ=0.25', rate: 0.001, cleanCertifiedAccuracy: 0.98, triggeredCertifiedAccuracy: 0.9, fallbackRate: 0.05, certifiedWrongRate: 0.05 },
  ];
  const md = reproduceMarkdown(rows).trimEnd().split('\n');
  assert.equal(md.length, 4);
  assert.match(md[0], /^\| data set \| attack \| certifier \| poison rate \| clean cert\. acc\. \| triggered cert\. acc\. \| drop \(points\) \| fallback rate \| certified wrong \|$/);
  assert.equal(md[2], '| mnist | uncertainty | smoothing σ=0.25 | 0.1% | 98.0% | 90.0% | 8.0 | 5.0% | 5.0% |', 'sorted by rate');
  assert.equal(md[3], '| mnist | uncertainty | smoothing σ=0.25 | 1% | 98.0% | 16.5% | 81.5 | 9.5% | 74.0% |');
  const html = reproduceHtml(rows);
  assertWellFormed(html);
  assert.equal(html.match(/<tr>/g)?.length, 3);
  assert.ok(html.includes('<td class="num">81.5</td>'));
});
