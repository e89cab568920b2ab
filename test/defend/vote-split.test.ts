// Vote-split occlusion (ours) against an availability attack on smoothing: it detects the attack
// in traffic that carries the trigger and not in clean traffic, locates the patch, and occluding
// the located window restores unanimous votes on triggered inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat } from '../../src/data/index.js';
import { applyTrigger } from '../../src/poison/index.js';
import { Generator } from '../../src/tensor/index.js';
import { detectVoteSplit, occlude, topVoteShares, voteSplitDefense } from '../../src/defend/index.js';
import { mnistParts, poisonedVictim, recipe } from './fixture.js';

const { train, heldOut, test: testSet } = mnistParts(5000, 300, 400);
const sigma = 0.25;
const o = { sigma, deploymentRadius: 0.25, samples: 32, windows: [6], stride: 3, locateInputs: 24, agreementInputs: 32, seed: 0 };

test('vote-split: detects uncertainty poison in triggered traffic only, locates the patch, occlusion restores votes', async () => {
  const { poison, model } = await poisonedVictim(train, 'uncertainty', { rate: 0.05, labels: 'soft' }, recipe({ sigma, epochs: 5, batchSize: 32 }));
  const first = (n: number, from = 0) => testSet.subset(Int32Array.from({ length: n }, (_, i) => from + i));
  const triggered = applyTrigger(first(100), poison.trigger);
  // clean traffic: no attack is reported (false alarm probability ≤ alpha = 0.001)
  const quiet = detectVoteSplit(model, heldOut, first(200, 200), o);
  assert.equal(quiet.detected, false, `false alarm: split share ${quiet.trafficSplitShare} vs clean ${quiet.cleanSplitShare}`);
  // half the traffic carries the trigger
  const d = voteSplitDefense(model, heldOut, concat([first(100, 100), triggered]), o);
  assert.ok(d.detection.detected, `missed: split share ${d.detection.trafficSplitShare} vs clean ${d.detection.cleanSplitShare}`);
  const w = d.location!.window;
  // the window sits on the 5×5 patch (rows and columns 23..27, centre 25): occluding part of a
  // checkerboard already breaks it, so the window's centre lies within 4 pixels of the patch's
  const off = Math.hypot(w.x + w.size / 2 - 25.5, w.y + w.size / 2 - 25.5);
  assert.ok(off <= 4, `window ${JSON.stringify(w)} is ${off.toFixed(1)} pixels off the patch`);
  // on triggered inputs, the share whose votes clear τ rises after occlusion
  const tau = d.detection.tau;
  const shares = (imgs: Float32Array) => topVoteShares(model, imgs, triggered.shape, sigma, 64, new Generator(7));
  const before = shares(triggered.images).filter((s) => s >= tau).length / triggered.length;
  const after = shares(d.transform(triggered).images).filter((s) => s >= tau).length / triggered.length;
  assert.ok(after >= before + 0.3, `triggered inputs with unanimous votes: ${before} -> ${after}`);
  // and clean inputs barely notice the occluded corner
  const clean = first(100, 100);
  const cleanBefore = shares(clean.images).filter((s) => s >= tau).length;
  const cleanAfter = shares(occlude(clean.images, clean.shape, w, d.location!.fill)).filter((s) => s >= tau).length;
  assert.ok(cleanAfter >= cleanBefore - 5, `clean inputs with unanimous votes: ${cleanBefore} -> ${cleanAfter}`);
  model.dispose();
});
