// PyTorch's default initialisation: bounds, variance, and reproducibility from a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/tensor/index.js';
import { BatchNorm2d, Conv2d, Linear, buildModel, kaimingUniformBound } from '../../src/nn/index.js';

function stats(v: number[]) {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, variance, maxAbs: Math.max(...v.map(Math.abs)) };
}

test('kaiming_uniform_(a=√5) has bound 1/√fan_in, the gain formula by hand', () => {
  // gain = √(2/(1+5)) = √(1/3); bound = gain·√(3/fan) = 1/√fan
  for (const fan of [1, 9, 16, 1568]) assert.ok(Math.abs(kaimingUniformBound(fan) - 1 / Math.sqrt(fan)) < 1e-15);
  // a = 0 (He's ReLU gain √2): bound = √2·√(3/fan) = √(6/fan)
  assert.ok(Math.abs(kaimingUniformBound(24, 0) - 0.5) < 1e-15);
});

test('Linear weights and biases lie within ±1/√in with the uniform variance bound²/3', () => {
  const lin = new Linear(200, 300, { generator: new Generator(1) });
  const bound = 1 / Math.sqrt(200);
  const w = stats(lin.weight.toArray());
  assert.ok(w.maxAbs <= bound && w.maxAbs > 0.99 * bound, `max |w| ${w.maxAbs} vs bound ${bound}`);
  assert.ok(Math.abs(w.variance / (bound ** 2 / 3) - 1) < 0.03, `variance ${w.variance} vs ${bound ** 2 / 3}`);
  assert.ok(Math.abs(w.mean) < 0.01 * bound);
  const b = stats(lin.bias!.toArray());
  assert.ok(b.maxAbs <= bound && b.maxAbs > 0.8 * bound);
  assert.ok(lin.weight.requiresGrad && lin.bias!.requiresGrad);
  lin.dispose();
});

test('Conv2d fan_in counts in-channels per group times the kernel area', () => {
  const conv = new Conv2d(8, 16, 3, { groups: 2, generator: new Generator(2) });
  const bound = 1 / Math.sqrt((8 / 2) * 9); // 1/6; without groups it would be 1/√72
  const w = stats(conv.weight.toArray());
  assert.ok(w.maxAbs <= bound && w.maxAbs > 0.95 * bound, `max |w| ${w.maxAbs} vs bound ${bound}`);
  assert.ok(Math.abs(w.variance / (bound ** 2 / 3) - 1) < 0.15);
  const b = stats(conv.bias!.toArray());
  assert.ok(b.maxAbs <= bound);
  conv.dispose();
});

test('BatchNorm2d starts at γ=1, β=0, running mean 0, running var 1, no batches', () => {
  const bn = new BatchNorm2d(4);
  assert.deepEqual(bn.weight.toArray(), [1, 1, 1, 1]);
  assert.deepEqual(bn.bias.toArray(), [0, 0, 0, 0]);
  assert.deepEqual(bn.runningMean.toArray(), [0, 0, 0, 0]);
  assert.deepEqual(bn.runningVar.toArray(), [1, 1, 1, 1]);
  assert.equal(bn.numBatchesTracked.item(), 0);
  assert.equal(bn.eps, 1e-5);
  assert.equal(bn.momentum, 0.1);
  bn.dispose();
});

test('the same seed gives identical weights, a different seed different ones', () => {
  for (const name of ['mnist-small', 'cifar-resnet']) {
    const a = buildModel(name, { seed: 5 });
    const b = buildModel(name, { seed: 5 });
    const c = buildModel(name, { seed: 6 });
    const sa = a.stateDict();
    const sb = b.stateDict();
    const sc = c.stateDict();
    let differing = 0;
    for (const [k, t] of a.namedParameters()) {
      assert.deepEqual(sb[k].toArray(), t.toArray(), `${name} ${k}: same seed`);
      if (/conv|weight/.test(k) && t.size > 1 && sc[k].toArray().some((v, i) => v !== sa[k].toArray()[i])) differing++;
    }
    assert.ok(differing > 0, `${name}: seed 6 must differ from seed 5`);
    const w0 = a.parameters()[0].toArray();
    assert.notDeepEqual(sc[Object.keys(sc)[0]].toArray(), w0);
    a.dispose();
    b.dispose();
    c.dispose();
  }
});
