// Layer forwards against direct loops in plain JS on small random inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../../src/nn/index.js';
import { assertClose, channelStats, conv2dRef, linearRef, normalizeRef, pool2dRef, prng, uniform } from './reference.js';

const arr = (t: Tensor) => t.toArray();
const setValues = (t: Tensor, vals: number[]) => noGrad(() => t.copy_(tensor(vals, t.shape)));

test('Linear matches x·Wᵀ + b, with and without bias', () => {
  const rand = prng(1);
  for (const bias of [true, false]) {
    const lin = new Linear(5, 3, { bias });
    const x = uniform(4 * 5, rand);
    const y = tidy(() => arr(lin.forward(tensor(x, [4, 5]))));
    const expected = linearRef(x, 4, arr(lin.weight), 3, 5, lin.bias ? arr(lin.bias) : null);
    assertClose(y, expected, 1e-5, `Linear(bias=${bias})`);
    assert.equal(lin.bias === null, !bias);
    lin.dispose();
  }
});

test('Conv2d matches a direct loop with stride, padding, dilation and groups', () => {
  const rand = prng(2);
  const cases = [
    { cin: 1, cout: 2, k: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, h: 5, w: 6 },
    { cin: 2, cout: 4, k: [4, 4], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 1, h: 7, w: 8 },
    { cin: 4, cout: 6, k: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 1], groups: 2, h: 6, w: 5 },
    { cin: 3, cout: 3, k: [3, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 1], groups: 3, h: 6, w: 7 },
  ] as const;
  for (const c of cases) {
    const conv = new Conv2d(c.cin, c.cout, [c.k[0], c.k[1]], {
      stride: [c.stride[0], c.stride[1]], padding: [c.padding[0], c.padding[1]], dilation: [c.dilation[0], c.dilation[1]], groups: c.groups,
    });
    assert.deepEqual(conv.weight.shape, [c.cout, c.cin / c.groups, c.k[0], c.k[1]]);
    const xShape = [2, c.cin, c.h, c.w];
    const x = uniform(xShape.reduce((a, b) => a * b), rand);
    const out = tidy(() => {
      const y = conv.forward(tensor(x, xShape));
      return { shape: y.shape, data: arr(y) };
    });
    const ref = conv2dRef(x, xShape, arr(conv.weight), conv.weight.shape, arr(conv.bias!), {
      stride: [...c.stride], padding: [...c.padding], dilation: [...c.dilation], groups: c.groups,
    });
    assert.deepEqual(out.shape, ref.shape);
    assert.deepEqual(conv.outputShape(xShape.slice(1)), ref.shape.slice(1));
    assertClose(out.data, ref.y, 1e-5, `conv ${JSON.stringify(c)}`);
    conv.dispose();
  }
});

test('MaxPool2d and AvgPool2d match direct loops (padding counted in the average)', () => {
  const rand = prng(3);
  const xShape = [2, 3, 7, 6];
  const x = uniform(2 * 3 * 7 * 6, rand);
  const cases: Array<{ k: [number, number]; s?: [number, number]; p: [number, number] }> = [
    { k: [2, 2], p: [0, 0] },
    { k: [3, 3], s: [2, 2], p: [1, 1] },
    { k: [3, 2], s: [1, 2], p: [1, 0] },
  ];
  for (const c of cases) {
    for (const kind of ['max', 'avg'] as const) {
      const pool = kind === 'max' ? new MaxPool2d(c.k, { stride: c.s, padding: c.p }) : new AvgPool2d(c.k, { stride: c.s, padding: c.p });
      assert.deepEqual(pool.stride, c.s ?? c.k, 'stride defaults to the kernel size');
      const out = tidy(() => {
        const y = pool.forward(tensor(x, xShape));
        return { shape: y.shape, data: arr(y) };
      });
      const ref = pool2dRef(kind, x, xShape, c.k, c.s ?? c.k, c.p);
      assert.deepEqual(out.shape, ref.shape);
      assert.deepEqual(pool.outputShape(xShape.slice(1)), ref.shape.slice(1));
      assertClose(out.data, ref.y, 1e-5, `${kind}pool ${JSON.stringify(c)}`);
    }
  }
  assert.throws(() => new MaxPool2d(2, { padding: 2 }), /padding must be between 0 and half the kernel size/);
});

test('BatchNorm2d: train mode uses batch statistics and updates the running ones like PyTorch; eval uses the running ones', () => {
  const rand = prng(4);
  const shape = [4, 3, 2, 3];
  const n = 4 * 3 * 2 * 3;
  const bn = new BatchNorm2d(3, { momentum: 0.3, eps: 1e-3 });
  assert.deepEqual(arr(bn.runningMean), [0, 0, 0]);
  assert.deepEqual(arr(bn.runningVar), [1, 1, 1]);
  assert.equal(bn.numBatchesTracked.dtype, 'int64');
  const gamma = uniform(3, rand, 0.5, 2);
  const beta = uniform(3, rand);
  setValues(bn.weight, gamma);
  setValues(bn.bias, beta);

  let rm = [0, 0, 0];
  let rv = [1, 1, 1];
  for (let step = 1; step <= 2; step++) {
    const x = uniform(n, rand, -2, 3);
    const y = tidy(() => arr(bn.forward(tensor(x, shape))));
    const st = channelStats(x, shape);
    assertClose(y, normalizeRef(x, shape, st.mean, st.varBiased, gamma, beta, 1e-3), 1e-4, `train output, batch ${step}`);
    rm = rm.map((r, c) => 0.7 * r + 0.3 * st.mean[c]);
    rv = rv.map((r, c) => 0.7 * r + 0.3 * st.varUnbiased[c]); // unbiased variance into the running average
    assertClose(arr(bn.runningMean), rm, 1e-5, 'running_mean');
    assertClose(arr(bn.runningVar), rv, 1e-5, 'running_var');
    assert.equal(bn.numBatchesTracked.item(), step);
  }

  bn.eval();
  const x = uniform(n, rand);
  const y = tidy(() => arr(bn.forward(tensor(x, shape))));
  assertClose(y, normalizeRef(x, shape, rm, rv, gamma, beta, 1e-3), 1e-4, 'eval output');
  assertClose(arr(bn.runningMean), rm, 1e-6, 'eval leaves running_mean');
  assert.equal(bn.numBatchesTracked.item(), 2, 'eval does not count batches');
  bn.dispose();
});

test('BatchNorm2d with momentum null keeps a cumulative average; one value per channel in train mode is an error', () => {
  const rand = prng(5);
  const shape = [2, 2, 2, 2];
  const bn = new BatchNorm2d(2, { momentum: null });
  const means: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const x = uniform(16, rand);
    tidy(() => bn.forward(tensor(x, shape)));
    means.push(channelStats(x, shape).mean);
  }
  assertClose(arr(bn.runningMean), [0, 1].map((c) => (means[0][c] + means[1][c] + means[2][c]) / 3), 1e-5, 'cumulative mean');
  assert.throws(() => tidy(() => bn.forward(tensor([1, 2], [1, 2, 1, 1]))), /more than 1 value per channel/);
  bn.dispose();
});

test('ReLU, Flatten and Sequential compose; train()/eval() reach every sub-module', () => {
  const x = [-1, 2, -3, 4, 0.5, -0.5, 6, -7];
  const seq = new Sequential(new ReLU(), new Flatten());
  const out = tidy(() => {
    const y = seq.forward(tensor(x, [2, 2, 2, 1]));
    return { shape: y.shape, data: arr(y) };
  });
  assert.deepEqual(out.shape, [2, 4]);
  assert.deepEqual(out.data, x.map((v) => Math.max(v, 0)));
  const f = new Flatten(0, 1);
  assert.deepEqual(tidy(() => f.forward(tensor(x, [2, 2, 2])).shape), [4, 2]);

  const inner = new BatchNorm2d(2);
  const model = new Sequential(new Sequential(new ReLU(), inner), new ReLU());
  assert.deepEqual(model.children().map(([n]) => n), ['0', '1']);
  model.eval();
  assert.equal(inner.training, false);
  model.train();
  assert.equal(inner.training, true);
  model.dispose();
});

test('BasicBlock equals conv-bn-relu-conv-bn + shortcut, relu (downsampling and identity)', () => {
  const rand = prng(6);
  for (const [cin, planes, stride] of [[2, 4, 2], [3, 3, 1]] as const) {
    const block = new BasicBlock(cin, planes, { stride });
    assert.equal(block.shortcut === null, stride === 1 && cin === planes);
    const xShape = [2, cin, 6, 6];
    const x = uniform(2 * cin * 36, rand);
    const y = tidy(() => arr(block.forward(tensor(x, xShape))));

    const convBn = (inp: number[], inShape: number[], conv: Conv2d) => {
      const c = conv2dRef(inp, inShape, arr(conv.weight), conv.weight.shape, null, {
        stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: 1,
      });
      const st = channelStats(c.y, c.shape);
      const ones = new Array(c.shape[1]).fill(1);
      return { y: normalizeRef(c.y, c.shape, st.mean, st.varBiased, ones, ones.map(() => 0), 1e-5), shape: c.shape };
    };
    const h1 = convBn(x, xShape, block.conv1);
    const h2 = convBn(h1.y.map((v) => Math.max(v, 0)), h1.shape, block.conv2);
    const sc = block.shortcut ? convBn(x, xShape, block.shortcut.layers[0] as Conv2d).y : x;
    const expected = h2.y.map((v, i) => Math.max(v + sc[i], 0));
    assertClose(y, expected, 1e-4, `BasicBlock(${cin},${planes},stride ${stride})`);
    const names = Object.keys(block.stateDict());
    assert.equal(names.includes('shortcut.0.weight'), block.shortcut !== null);
    assert.ok(names.includes('bn2.running_var'));
    block.dispose();
  }
});
