// Deterministic memory: tidy frees intermediates, keeps results, and loops leak nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.js';

test('tidy frees what fn created and keeps what it returns', () => {
  const before = T.liveTensors();
  const kept = T.tidy(() => {
    const a = T.ones([3]);
    const b = a.mul(2);
    return { b, list: [a.add(1)] };
  });
  assert.equal(T.liveTensors(), before + 2);
  assert.deepEqual(kept.b.toArray(), [2, 2, 2]);
  T.dispose(kept);
  assert.equal(T.liveTensors(), before);
});

test('nested tidy moves results to the parent scope, which then frees them', () => {
  const before = T.liveTensors();
  T.tidy(() => {
    const inner = T.tidy(() => T.ones([2]).mul(3));
    assert.ok(!inner.isDisposed);
    return undefined;
  });
  assert.equal(T.liveTensors(), before);
});

test('tidy frees everything when fn throws', () => {
  const before = T.liveTensors();
  assert.throws(() =>
    T.tidy(() => {
      T.ones([4]).mul(2);
      throw new Error('boom');
    }),
  /boom/);
  assert.equal(T.liveTensors(), before);
});

test('keep() exempts a tensor from the scope', () => {
  const before = T.liveTensors();
  const p = T.tidy(() => {
    const w = T.keep(T.zeros([2]));
    T.ones([2]);
    return w.shape;
  });
  assert.deepEqual(p, [2]);
  assert.equal(T.liveTensors(), before + 1);
});

test('1,000 training steps inside tidy leave liveTensors() unchanged', () => {
  const gen = new T.Generator(0);
  const w = T.keep(T.randn([10, 4], { generator: gen }).mul(0.1).requiresGrad_());
  const x = T.keep(T.randn([32, 10], { generator: gen }));
  const y = T.keep(T.randint(0, 4, [32], gen));
  const lossAt = () => T.tidy(() => T.crossEntropy(x.matmul(w), y).item());
  const first = lossAt();
  const before = T.liveTensors();
  for (let i = 0; i < 1000; i++) {
    T.tidy(() => {
      const loss = T.crossEntropy(x.matmul(w), y);
      loss.backward();
      const g = w.grad!;
      T.noGrad(() => w.add_(g, -0.1));
      w.zeroGrad();
    });
  }
  assert.equal(T.liveTensors(), before);
  assert.ok(lossAt() < first * 0.8, 'the loop really trained');
});

test('factories that convert internally leave only their result alive', () => {
  const before = T.liveTensors();
  const y = T.fromInt32([1, 2, 3]);
  assert.equal(T.liveTensors(), before + 1);
  y.dispose();
  assert.equal(T.liveTensors(), before);
  const ints = T.tensor(new Int32Array([4, 5]));
  assert.deepEqual(Array.from(ints.toFloat32Array()), [4, 5]); // casts through a temporary
  assert.equal(T.liveTensors(), before + 1);
  ints.dispose();
  assert.equal(T.liveTensors(), before);
});
