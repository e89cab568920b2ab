import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headline } from '../../src/report/headline.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { fixture } from './fixture.js';

test('headline: the triggered fallback share comes first, certified wrong beside it, then the drop and the baseline', () => {
  const { file } = fixture();
  const s = file.certifiers.smoothing!;
  const text = headline(file.certifiers);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const line = lines[0];
  // The fixture's triggered set: 26 of 40 sent to the fallback, 14 certified wrong.
  const shares = [...line.matchAll(/(\d+\.\d)%/g)].map((m) => m[1]);
  assert.deepEqual(shares.slice(0, 2), ['65.0', '35.0'], 'fallback first, certified wrong second');
  assert.ok(line.indexOf('fallback') < line.indexOf('certified wrong'));
  assert.ok(line.indexOf('certified wrong') < line.indexOf('certified accuracy'));
  const clean = (100 * s.clean.certifiedAccuracy['0.25']).toFixed(1);
  const trig = (100 * s.triggered.certifiedAccuracy['0.25']).toFixed(1);
  const base = (100 * s.baseline!.certifiedAccuracy['0.25']).toFixed(1);
  assert.ok(line.includes(`clean ${clean}% → triggered ${trig}% (drop ${s.attackEffect.toFixed(1)} points)`), line);
  assert.ok(line.includes(`unpoisoned baseline ${base}%`), line);
  const vsBase = 100 * (s.clean.certifiedAccuracy['0.25'] - s.baseline!.certifiedAccuracy['0.25']);
  assert.ok(line.includes(`(clean ${vsBase < 0 ? '−' : '+'}${Math.abs(vsBase).toFixed(1)} points vs baseline)`), line);
  assert.equal(headline({}), '');
});

test('report.html: the headline section opens with the fallback card and the headline line', () => {
  const { file } = fixture();
  const html = renderHtmlReport({ summary: file });
  assert.ok(html.indexOf('<h2>Headline</h2>') < html.indexOf('<h2>What was run</h2>'), 'the headline is the first section');
  const section = html.slice(html.indexOf('<h2>Headline</h2>'), html.indexOf('<h2>What was run</h2>'));
  assert.ok(section.includes(`<p class="headline">${headline(file.certifiers).trimEnd().replaceAll('>', '&gt;')}</p>`));
  const labels = [...section.matchAll(/<div class="k">([^<]*)<\/div>/g)].map((m) => m[1]);
  assert.equal(labels[0], 'triggered → fallback (availability)');
  assert.equal(labels[1], 'triggered → certified wrong (integrity)');
  const values = [...section.matchAll(/<div class="v">([^<]*)<\/div>/g)].map((m) => m[1]);
  assert.deepEqual(values.slice(0, 2), ['65.0%', '35.0%']);
});
