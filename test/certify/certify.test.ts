import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, buildModel } from '../../src/nn/index.js';
import { Generator, liveTensors, noGrad, rand } from '../../src/tensor/index.js';
import { Smooth, certify, certifyCROWN, certifyDeepPoly, certifyIBP, certifyTightest, type Certificate } from '../../src/certify/index.js';

const withoutTime = (cs: Certificate[]) => cs.map(({ seconds: _s, ...rest }) => rest);

test('certify(kind, ...) dispatches to smoothing, IBP, CROWN, DeepPoly and tightest with their semantics', () => {
  const model = buildModel('mnist-small', { seed: 21 }).eval();
  const x = rand([3, 1, 28, 28], { generator: new Generator(2) });
  const labels = noGrad(() => model.forward(x).argmax(1).toArray());
  const before = liveTensors();
  const viaDispatch = certify('smoothing', model, x, labels, { sigma: 0.25, n0: 10, n: 300, alpha: 0.01, generator: new Generator(7), batchSize: 128 });
  const smooth = new Smooth((t) => model.forward(t), 10, 0.25, { generator: new Generator(7), batchSize: 128 });
  const direct = smooth.certifyMany(x, labels, { n0: 10, n: 300, alpha: 0.01 });
  assert.deepEqual(withoutTime(viaDispatch), withoutTime(direct));
  assert.ok(viaDispatch.every((c) => c.certifier === 'smoothing' && c.norm === 'l2' && c.counts!.length === 10));
  assert.deepEqual(withoutTime(certify('ibp', model, x, labels, { eps: 0.005 })), withoutTime(certifyIBP(model, x, labels, 0.005)));
  const crown = certify('crown', model, x, labels, { eps: 0.005, intermediate: 'ibp' });
  assert.deepEqual(withoutTime(crown), withoutTime(certifyCROWN(model, x, labels, 0.005, { intermediate: 'ibp' })));
  assert.ok(crown.every((c) => c.certifier === 'crown' && c.norm === 'linf'));
  const deeppoly = certify('deeppoly', model, x, labels, { eps: 0.005, intermediate: 'ibp' });
  assert.deepEqual(withoutTime(deeppoly), withoutTime(certifyDeepPoly(model, x, labels, 0.005, { intermediate: 'ibp' })));
  assert.ok(deeppoly.every((c) => c.certifier === 'deeppoly' && c.norm === 'linf'));
  const tightest = certify('tightest', model, x, labels, { eps: 0.005, of: ['ibp', 'crown'], crown: { intermediate: 'ibp' } });
  assert.deepEqual(withoutTime(tightest), withoutTime(certifyTightest(model, x, labels, 0.005, { of: ['ibp', 'crown'], crown: { intermediate: 'ibp' } })));
  assert.ok(tightest.every((c) => c.certifier === 'tightest' && c.norm === 'linf'));
  assert.equal(liveTensors(), before);
  assert.throws(() => certify('bogus' as never, model, x, labels, { eps: 0.1 }), /certify: unknown certifier 'bogus' \(known: smoothing, ibp, crown, deeppoly, tightest\)/);
  assert.throws(() => certify('ibp', ((t: never) => t) as never, x, labels, { eps: 0.1 }), /ibp: model must be an nn Module/);
});

test('certify refuses a model whose BatchNorm is in train mode (its statistics would change)', () => {
  const g = new Generator(1);
  const model = new Sequential(new Conv2d(1, 2, 3, { generator: g }), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3, { generator: g }));
  const x = rand([2, 1, 4, 4]);
  for (const kind of ['smoothing', 'ibp', 'crown'] as const) {
    assert.throws(
      () => certify(kind, model, x, [0, 1], { eps: 0.1, sigma: 0.5, n0: 1, n: 10, alpha: 0.1, generator: g }),
      new RegExp(`^Error: ${kind}: BatchNorm2d '1' is in train mode; call model\\.eval\\(\\) before certifying$`),
    );
  }
  model.eval();
  assert.equal(certify('crown', model, x, [0, 1], { eps: 0.1 }).length, 2);
});
