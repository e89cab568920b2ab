import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { writeReport } from '../../src/report/report.js';
import { fixture } from './fixture.js';
import { assertWellFormed } from './svg.js';

async function buildReport(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-report-'));
  const f = fixture();
  await writeReport(dir, {
    summary: f.file,
    certificates: { smoothing: { clean: f.clean, triggered: f.triggered, baseline: f.baseline } },
    examples: f.images,
    ratePoints: [0.001, 0.005, 0.01, 0.05].map((rate, i) => ({ rate, fallbackRate: 0.1 + 0.2 * i, certifiedWrongRate: 0.05 * i })),
    reproduce: [{ dataset: 'mnist', attack: 'uncertainty', certifier: 'smoothing σ=0.25', rate: 0.01, cleanCertifiedAccuracy: 0.9, triggeredCertifiedAccuracy: 0.1, fallbackRate: 0.6, certifiedWrongRate: 0.3 }],
  });
  return dir;
}

test('report.html is one self-contained file, with plots written beside it', async () => {
  const dir = await buildReport();
  assert.deepEqual(readdirSync(join(dir, 'plots')).sort(), ['certified-accuracy-smoothing.svg', 'examples.svg', 'poison-rate.svg', 'radius-histogram-smoothing.svg']);
  for (const name of readdirSync(join(dir, 'plots'))) assertWellFormed(readFileSync(join(dir, 'plots', name), 'utf8'));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(!/https?:\/\//.test(html), 'no http(s) reference');
  assert.ok(!/<script|<link|<iframe|\bsrc="(?!data:)/i.test(html), 'nothing loaded from elsewhere');
  assertWellFormed(html.replace(/<(meta|br|hr|img|input)\b[^>]*>/g, ''));
  for (const heading of ['What was run', 'Headline', 'Results', 'Reproduce grid', 'Plots', 'Examples', 'Per-input samples']) assert.ok(html.includes(`<h2>${heading}</h2>`), heading);
  assert.equal(html.match(/<svg/g)?.length, 4);
  assert.ok(html.includes('data:image/png;base64,'));
  assert.ok(html.includes('mnist, mnist-small, uncertainty attack at poison rate 1%'));
  assert.ok(html.includes('availability @ 0.25') && html.includes('integrity @ 0.25'));
});

test('report.html renders in headless Chromium (non-blank screenshot)', async (t) => {
  const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
  if (!chromium) {
    t.skip('chromium not installed (apt-get install -y chromium); render check skipped');
    return;
  }
  const dir = await buildReport();
  const shot = join(dir, 'report.png');
  const r = spawnSync(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'abstain-chromium-'))}`, `--screenshot=${shot}`, '--window-size=1200,2000', `file://${join(dir, 'report.html')}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.ok(existsSync(shot), `no screenshot; chromium said: ${r.stderr?.slice(-500)}`);
  const png = PNG.sync.read(readFileSync(shot));
  assert.equal(png.width, 1200);
  let dark = 0;
  let coloured = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    const [red, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
    if (red + g + b < 600) dark++;
    if (Math.max(red, g, b) - Math.min(red, g, b) > 80) coloured++; // plot lines, headline numbers
  }
  const total = png.width * png.height;
  assert.ok(dark / total > 0.01, `only ${dark} non-white pixels of ${total}`);
  assert.ok(coloured > 500, `only ${coloured} coloured pixels: plots missing?`);
  if (process.env.ABSTAIN_KEEP_SCREENSHOT) console.log(`screenshot: ${shot}`);
});
