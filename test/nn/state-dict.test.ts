// State dicts: PyTorch names per architecture, a bit-exact save/load round trip, and the clear
// errors for a missing key, an unexpected key, a wrong shape, an unknown architecture or input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose, loadSafetensors, noGrad, rand, tidy, zeros, type Tensor } from '../../src/tensor/index.js';
import { architectures, buildModel, loadModelWeights, saveModel, type Module } from '../../src/nn/index.js';

const bnKeys = (p: string) => ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'].map((k) => `${p}.${k}`);
const shapes = (m: Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.shape]));
const bytesOf = (t: Tensor) => Buffer.from(t.data().buffer);

test('mnist-small has exactly PyTorch nn.Sequential names and shapes', () => {
  const m = buildModel('mnist-small', { seed: 0 });
  assert.deepEqual(shapes(m), {
    '0.weight': [16, 1, 4, 4], '0.bias': [16],
    '2.weight': [32, 16, 4, 4], '2.bias': [32],
    '5.weight': [100, 32 * 7 * 7], '5.bias': [100],
    '7.weight': [10, 100], '7.bias': [10],
  });
  assert.equal(m.numParameters(), 16 * 16 + 16 + 32 * 16 * 16 + 32 + 1568 * 100 + 100 + 100 * 10 + 10);
  assert.deepEqual(m.namedBuffers(), []);
  m.dispose();
});

test('mnist-large, cifar-cnn, mlp and cifar-resnet names', () => {
  const large = buildModel('mnist-large', { seed: 0 });
  assert.deepEqual(shapes(large), {
    '0.weight': [32, 1, 3, 3], '0.bias': [32], '2.weight': [32, 32, 4, 4], '2.bias': [32],
    '4.weight': [64, 32, 3, 3], '4.bias': [64], '6.weight': [64, 64, 4, 4], '6.bias': [64],
    '9.weight': [512, 64 * 7 * 7], '9.bias': [512], '11.weight': [512, 512], '11.bias': [512],
    '13.weight': [10, 512], '13.bias': [10],
  });
  large.dispose();
  const cifarCnn = buildModel('cifar-cnn', { seed: 0 });
  assert.deepEqual(cifarCnn.stateDict()['0.weight'].shape, [32, 3, 3, 3]);
  assert.deepEqual(cifarCnn.stateDict()['9.weight'].shape, [512, 64 * 8 * 8]);
  cifarCnn.dispose();

  const mlp = buildModel('mlp', { seed: 0, inputShape: [3, 8, 8], numClasses: 4 });
  assert.deepEqual(shapes(mlp), {
    '1.weight': [100, 192], '1.bias': [100], '3.weight': [100, 100], '3.bias': [100], '5.weight': [4, 100], '5.bias': [4],
  });
  mlp.dispose();

  // ResNet-20: stem conv + bn, three stages of three blocks, shortcuts where the shape changes, head
  const expected: string[] = ['0.weight', ...bnKeys('1')];
  [16, 32, 64].forEach((_, s) => {
    for (let b = 0; b < 3; b++) {
      const p = `${3 + s}.${b}`;
      expected.push(`${p}.conv1.weight`, ...bnKeys(`${p}.bn1`), `${p}.conv2.weight`, ...bnKeys(`${p}.bn2`));
      if (s > 0 && b === 0) expected.push(`${p}.shortcut.0.weight`, ...bnKeys(`${p}.shortcut.1`));
    }
  });
  expected.push('8.weight', '8.bias');
  const res = buildModel('cifar-resnet', { seed: 0 });
  const sd = res.stateDict();
  assert.deepEqual(Object.keys(sd), expected);
  assert.deepEqual(sd['4.0.shortcut.0.weight'].shape, [32, 16, 1, 1]);
  assert.deepEqual(sd['8.weight'].shape, [10, 64]);
  assert.equal(sd['3.0.bn1.num_batches_tracked'].dtype, 'int64');
  assert.equal(res.parameters().length, expected.filter((k) => /weight$|bias$/.test(k)).length);
  res.dispose();
});

test('input shape and class count follow the data; shapes an architecture cannot take are one-line errors', () => {
  const m = buildModel('mnist-small', { seed: 0, inputShape: [3, 32, 32], numClasses: 5 });
  assert.deepEqual(m.stateDict()['5.weight'].shape, [100, 32 * 8 * 8]);
  assert.deepEqual(tidy(() => m.forward(zeros([2, 3, 32, 32])).shape), [2, 5]);
  m.dispose();
  const r = buildModel('cifar-resnet', { seed: 0, inputShape: [1, 16, 24], numClasses: 3 });
  assert.deepEqual(tidy(() => r.eval().forward(zeros([2, 1, 16, 24])).shape), [2, 3]);
  r.dispose();

  assert.throws(() => buildModel('resnet-9000', { seed: 0 }), {
    message: "unknown architecture 'resnet-9000' (known: mnist-small, mnist-large, cifar-cnn, cifar-resnet, mlp)",
  });
  assert.throws(() => buildModel('mnist-small', { seed: 0, inputShape: [1, 3, 3] }), /mnist-small: input shape \[1,3,3\] is too small/);
  assert.throws(() => buildModel('cifar-resnet', { seed: 0, inputShape: [3, 30, 30] }), /divisible by 4/);
  assert.throws(() => buildModel('mlp', { seed: 0, inputShape: [1, 28] as never }), /input shape must be \[C,H,W\]/);
  assert.throws(() => buildModel('mlp', { seed: 0, numClasses: 1 }), /numClasses must be an integer ≥ 2/);
  for (const a of Object.values(architectures)) assert.equal(a.inputShape.length, 3);
});

test('save → load round trip is bit-exact, buffers and metadata included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-nn-'));
  try {
    const a = buildModel('cifar-resnet', { seed: 1, inputShape: [3, 8, 8] });
    tidy(() => a.forward(rand([4, 3, 8, 8]))); // train mode: running statistics move away from 0 and 1
    const path = join(dir, 'm.safetensors');
    saveModel(path, a, { arch: 'cifar-resnet' });

    const file = loadSafetensors(path);
    assert.deepEqual(Object.keys(file.tensors).sort(), Object.keys(a.stateDict()).sort());
    dispose(file.tensors);

    const b = buildModel('cifar-resnet', { seed: 2, inputShape: [3, 8, 8] });
    const before = b.stateDict()['0.weight'];
    assert.ok(!bytesOf(before).equals(bytesOf(a.stateDict()['0.weight'])), 'different seeds start different');
    assert.deepEqual(loadModelWeights(path, b), { arch: 'cifar-resnet' });
    const sa = a.stateDict();
    for (const [k, t] of Object.entries(b.stateDict())) {
      assert.equal(t.dtype, sa[k].dtype, k);
      assert.ok(bytesOf(t).equals(bytesOf(sa[k])), `${k} differs after the round trip`);
    }
    assert.equal(b.stateDict()['0.weight'], before, 'loading copies in place: the tensor objects stay the same');
    assert.equal(b.stateDict()['1.num_batches_tracked'].item(), 1);
    assert.ok(before.requiresGrad, 'parameters still require grad after a load');
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading a wrong shape, a missing key or an unexpected key fails clearly and changes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-nn-'));
  try {
    const rgb = buildModel('mnist-small', { seed: 1, inputShape: [3, 28, 28] });
    const rgbPath = join(dir, 'rgb.safetensors');
    saveModel(rgbPath, rgb);
    const mlpPath = join(dir, 'mlp.safetensors');
    const mlp = buildModel('mlp', { seed: 1 });
    saveModel(mlpPath, mlp);

    const m = buildModel('mnist-small', { seed: 2 });
    const snapshot = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, bytesOf(t)]));
    assert.throws(() => loadModelWeights(rgbPath, m), {
      message: `${rgbPath}: loadStateDict: state dict '0.weight' has shape [16,3,4,4], model expects [16,1,4,4]`,
    });
    assert.throws(() => loadModelWeights(mlpPath, m), new RegExp(`^Error: ${mlpPath}: loadStateDict: missing key '0.weight'`));
    for (const [k, t] of Object.entries(m.stateDict())) assert.ok(bytesOf(t).equals(snapshot[k]), `${k} changed by a failed load`);

    const extra = { ...rgb.stateDict(), '9.weight': rgb.stateDict()['7.weight'] };
    const same = buildModel('mnist-small', { seed: 3, inputShape: [3, 28, 28] });
    assert.throws(() => same.loadStateDict(extra), /unexpected key '9\.weight'.*strict: false/);
    same.loadStateDict(extra, { strict: false });
    assert.ok(bytesOf(same.stateDict()['7.weight']).equals(bytesOf(rgb.stateDict()['7.weight'])));

    // a partial load with strict: false copies what is there and leaves the rest
    const partial = buildModel('mnist-small', { seed: 4 });
    const keep7 = bytesOf(partial.stateDict()['7.weight']);
    const sd = { '0.weight': noGrad(() => zeros([16, 1, 4, 4])) };
    partial.loadStateDict(sd, { strict: false });
    assert.equal(partial.stateDict()['0.weight'].abs().sum().item(), 0);
    assert.ok(bytesOf(partial.stateDict()['7.weight']).equals(keep7));
    dispose(sd);
    for (const x of [rgb, mlp, m, same, partial]) x.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
