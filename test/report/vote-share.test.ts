import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smoothingSigma, topVoteShare, voteShareHistogram, voteSharePlot, voteShareThresholds } from '../../src/report/vote-share.js';
import { writeReport } from '../../src/report/report.js';
import { fixture } from './fixture.js';
import { assertWellFormed, cert } from './svg.js';

/** A smoothing certificate with vote counts (n = their sum) and a lower bound. */
const voted = (i: number, counts: number[], pALower?: number) => ({ ...cert(i, 0, 0, 0.3), counts, ...(pALower === undefined ? {} : { pALower }) });

test('topVoteShare: max count over the sum; null without counts', () => {
  assert.deepEqual(topVoteShare({ counts: [10, 70, 20], pALower: 0.6 }), { pA: 0.7, pALower: 0.6 });
  assert.deepEqual(topVoteShare({ counts: [3, 1] }), { pA: 0.75 });
  assert.equal(topVoteShare({}), null);
  assert.equal(topVoteShare({ counts: [] }), null);
  assert.equal(topVoteShare({ counts: [0, 0] }), null);
});

test('vote-share histogram: hand-made certificates land in the known bins, per set and measure', () => {
  const clean = [
    voted(0, [100, 0, 0], 0.97), // pA 1    -> last bin [0.9, 1] (closed)
    voted(1, [95, 5, 0], 0.9), //   pA 0.95 -> [0.9, 1]; pALower 0.9 -> [0.9, 1]
    voted(2, [12, 88], 0.8), //     pA 0.88 -> [0.8, 0.9); pALower 0.8 -> [0.8, 0.9)
    { ...cert(3, 1, 'abstain', 0) }, // no counts: left out
  ];
  const triggered = [
    voted(0, [50, 50, 0], 0.41), // pA 0.5 -> [0.5, 0.6) (a tie still has a top share)
    voted(1, [30, 30, 40], 0.3), // pA 0.4 -> [0.4, 0.5); pALower 0.3 -> [0.3, 0.4)
    voted(2, [3, 17, 0], 0.05), // pA 0.85 -> [0.8, 0.9); pALower 0.05 -> [0.0, 0.1)
    voted(3, [7, 13], 0.49), // pA 0.65 -> [0.6, 0.7)
  ];
  const h = voteShareHistogram([{ label: 'clean', certs: clean }, { label: 'triggered', certs: triggered }], { bins: 10 });
  const counts = (set: string, measure: string) => h.bins.filter((b) => b.set === set && b.measure === measure).map((b) => b.count);
  assert.deepEqual(counts('clean', 'pA'), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(counts('clean', 'pALower'), [0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
  assert.deepEqual(counts('triggered', 'pA'), [0, 0, 0, 0, 1, 1, 1, 0, 1, 0]);
  assert.deepEqual(counts('triggered', 'pALower'), [1, 0, 0, 1, 2, 0, 0, 0, 0, 0]);
  assert.deepEqual(h.counted, { clean: 3, triggered: 4 });
  assert.deepEqual(h.missing, { clean: 1, triggered: 0 });
  const first = h.bins.find((b) => b.set === 'clean' && b.measure === 'pA')!;
  assert.deepEqual([first.start, first.end], [0, 0.1]);
  // A share exactly on a bin edge goes up, even where (top/sum)·bins is 28.999… in floating point (29/50 · 50).
  const edge = voteShareHistogram([{ label: 'x', certs: [voted(0, [29, 21])] }], { bins: 50 });
  assert.equal(edge.bins.findIndex((b) => b.count === 1), 29, '29/50 = 0.58 -> bin [0.58, 0.6), not [0.56, 0.58)');
  // Without any pALower, no pALower rows.
  assert.ok(!voteShareHistogram([{ label: 'x', certs: [voted(0, [1, 3])] }]).bins.some((b) => b.measure === 'pALower'));
  assert.throws(() => voteShareHistogram([], { bins: 0 }), /bins 0 must be a positive integer/);
});

test('vote-share thresholds: ½ and Φ(r_d/σ); σ from the config or recovered from a certificate', () => {
  assert.equal(voteShareThresholds(0.25, 0.25).abstain, 0.5);
  assert.ok(Math.abs(voteShareThresholds(0.25, 0.25).fallback - 0.8413447460685429) < 1e-12);
  assert.ok(Math.abs(voteShareThresholds(0.5, 0.25).fallback - 0.6914624612740131) < 1e-12);
  assert.throws(() => voteShareThresholds(0, 0.25), /sigma 0 must be > 0/);
  assert.equal(smoothingSigma({ certify: { smoothing: { sigma: 0.12 } } }, 'smoothing'), 0.12);
  // radius = σ · Φ⁻¹(pA_lower): Φ⁻¹(0.8413447460685429) = 1, so radius 0.5 means σ 0.5.
  const recovered = smoothingSigma({}, 'smoothing', [cert(0, 0, 'abstain', 0), { ...cert(1, 0, 0, 0.5), pALower: 0.8413447460685429 }]);
  assert.ok(Math.abs(recovered! - 0.5) < 1e-9, String(recovered));
  assert.equal(smoothingSigma(null, 'smoothing', [cert(0, 0, 0, 0.5)]), undefined);
});

test('vote-share plot: the thresholds drawn where they belong', async () => {
  const svg = await voteSharePlot(
    [{ label: 'clean', certs: [voted(0, [95, 5], 0.9)] }, { label: 'triggered', certs: [voted(0, [55, 45], 0.45)] }],
    { sigma: 0.25, deploymentRadius: 0.25, width: 200, height: 100 },
  );
  assertWellFormed(svg);
  assert.equal(svg.match(/aria-label="x: 0\.5" role="graphics-symbol" aria-roledescription="rule mark" transform="translate\(100,0\)"/g)?.length, 2, '½ at half the width, in both panels');
  const phi = [...svg.matchAll(/aria-label="x: 0\.841344746\d*" role="graphics-symbol" aria-roledescription="rule mark" transform="translate\(([\d.]+),0\)"/g)].map((m) => Number(m[1]));
  assert.equal(phi.length, 2);
  for (const x of phi) assert.ok(Math.abs(x - 200 * 0.8413447460685429) < 1e-6, String(x));
  assert.ok(svg.includes('Φ(r_d/σ) = 0.841: falls back below'));
  assert.ok(svg.includes('"top vote share pA = max count / n: 0.95; inputs: 1; end: 1; set: clean"'), 'clean pA 0.95 in the last bin');
  assert.ok(svg.includes('"top vote share pA = max count / n: 0.55; inputs: 1; end: 0.6; set: triggered"'), 'triggered pA 0.55');
  assert.ok(svg.includes('"its lower confidence bound pA_lower (what the thresholds test): 0.45; inputs: 1; end: 0.5; set: triggered"'), 'triggered pA_lower 0.45');
  // Without σ: only the ½ line.
  const noSigma = await voteSharePlot([{ label: 'clean', certs: [voted(0, [95, 5])] }], { deploymentRadius: 0.25 });
  assert.ok(!noSigma.includes('Φ(r_d/σ)') && noSigma.includes('smoothing abstains below'));
});

test('report: the vote-share plot for smoothing certificates with counts, none without', async () => {
  const f = fixture();
  const withCounts = (certs: typeof f.clean, top: (i: number) => number) => certs.map((c, i) => ({ ...c, counts: [top(i), 100 - top(i)], pALower: top(i) / 100 - 0.05 }));
  const dir = mkdtempSync(join(tmpdir(), 'abstain-votes-'));
  await writeReport(dir, { summary: f.file, certificates: { smoothing: { clean: withCounts(f.clean, () => 98), triggered: withCounts(f.triggered, (i) => 50 + (i % 5)) } } });
  assert.ok(readdirSync(join(dir, 'plots')).includes('vote-share-smoothing.svg'));
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(html.includes('Why triggered inputs fall back: top vote share pA (smoothing)'));
  assert.ok(html.includes('Φ(r_d/σ) = Φ(0.25/0.25) = 0.841'), 'σ from the run config');
  const bare = mkdtempSync(join(tmpdir(), 'abstain-votes-'));
  await writeReport(bare, { summary: f.file, certificates: { smoothing: { clean: f.clean, triggered: f.triggered } } });
  assert.ok(!readdirSync(join(bare, 'plots')).includes('vote-share-smoothing.svg'), 'no counts: no plot');
  assert.ok(!readFileSync(join(bare, 'report.html'), 'utf8').includes('top vote share'));
});
