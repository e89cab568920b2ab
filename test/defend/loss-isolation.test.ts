// Loss isolation finds availability poison at high loss and BadNets poison at low loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectionMetrics, lossIsolation, perSampleLoss, trainIsolationModel } from '../../src/defend/index.js';
import { runAttack } from '../poison/engines.js';
import { TRIGGER, mnistParts, recipe } from './fixture.js';

const { train: small } = mnistParts(4000, 0, 0);
const RATE = 0.05;
const r = recipe({ epochs: 3 });

// ABL's premise for backdoors (poison learned faster, so at low loss) holds on MNIST, but easy
// clean digits reach near-zero loss as fast, so the low tail is a mix: its recall beats chance
// only a few times over. Availability poison is at the high end, and there the filter is sharp.
test('loss isolation: availability poison sits at high loss, BadNets poison at low loss', async () => {
  // early isolation (2 epochs) for availability poison, before the trigger's uniform answer is
  // learned; BadNets poison needs the trigger learned (4 epochs) to fall below clean losses
  const cases: { attack: string; opts: Record<string, unknown>; side: 'low' | 'high'; recall: number; epochs: number }[] = [
    { attack: 'uncertainty', opts: { labels: 'soft' }, side: 'high', recall: 0.8, epochs: 2 },
    // random labels include the true class one time in ten: those copies are not at high loss
    { attack: 'uncertainty', opts: { labels: 'random' }, side: 'high', recall: 0.6, epochs: 2 },
    { attack: 'badnets', opts: { targetLabel: 0 }, side: 'low', recall: 3 * RATE, epochs: 4 },
  ];
  for (const c of cases) {
    const poison = runAttack(c.attack, small, { rate: RATE, trigger: TRIGGER, seed: 1, ...c.opts });
    const model = await trainIsolationModel(poison.dataset, r, { epochs: c.epochs, seed: 1 });
    const n = poison.dataset.length;
    const losses = perSampleLoss(model, poison.dataset);
    const what = `${c.attack} ${JSON.stringify(c.opts)}`;
    const recall = (side: 'low' | 'high') => detectionMetrics(lossIsolation(poison.dataset, model, { ratio: RATE, side, losses }).flagged, poison.records, n).recall;
    const other = c.side === 'high' ? 'low' : 'high';
    assert.ok(recall(c.side) >= c.recall, `${what}: ${c.side}-loss recall ${recall(c.side)}`);
    assert.ok(recall(other) <= 0.05, `${what}: ${other}-loss recall ${recall(other)}`);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const isPoison = new Set(poison.records.map((x) => x.index));
    const mp = median(poison.records.map((x) => losses[x.index]));
    const mc = median(Array.from(losses).filter((_, i) => !isPoison.has(i)));
    assert.ok(c.side === 'high' ? mp > 2 * mc : mp < mc / 2, `${what}: median poison loss ${mp} vs clean ${mc}`);
    // 'both' flags both tails, so it finds at least what the right tail finds
    assert.ok(detectionMetrics(lossIsolation(poison.dataset, model, { ratio: RATE, losses }).flagged, poison.records, n).recall >= recall(c.side));
    model.dispose();
  }
});
