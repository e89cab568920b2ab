// DeepPoly: exact on affine networks, strictly tighter than CROWN where concretising at an
// intermediate layer wins, certificate semantics, differentiability, no leaks, clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, buildModel } from '../../src/nn/index.js';
import { Generator, liveTensors, noGrad, rand, tensor, tidy } from '../../src/tensor/index.js';
import {
  certifyCROWN,
  certifyDeepPoly,
  crownSpecBounds,
  deepPolyMarginBounds,
  deepPolySpecBounds,
  ibpSpecBounds,
  inputBox,
  marginSpec,
  tightestSpecBounds,
} from '../../src/certify/index.js';
import { margins, pgdMinMargins, randomizeBatchNorm, tinyMlp, tinyResNet } from './helpers.js';

test('an affine network: IBP (folded), CROWN, DeepPoly and tightest bounds equal the exact minimum margin over the box', () => {
  const g = new Generator(1);
  const net = new Sequential(
    new Conv2d(1, 3, 3, { stride: 2, padding: 1, generator: g }),
    new BatchNorm2d(3),
    new AvgPool2d(2),
    new Flatten(),
    new Linear(12, 6, { generator: g }),
    new Linear(6, 4, { generator: g }),
  );
  randomizeBatchNorm(net, g);
  const x = rand([3, 1, 8, 8], { generator: g });
  const eps = 0.1;
  tidy(() => {
    const preds = noGrad(() => net.forward(x).argmax(1).toArray());
    const C = marginSpec(preds, 4);
    const [lo, hi] = noGrad(() => inputBox(x, eps));
    // each margin is linear in x: its minimum over the box is at the corner opposite its gradient
    const exact = tidy(() => {
      const rows: number[][] = preds.map(() => []);
      for (let j = 0; j < 3; j++) {
        const probe = x.detach().requiresGrad_(true);
        margins(net, probe, preds).slice(1, j, j + 1).sum().backward();
        const corner = noGrad(() => probe.grad!.gt(0).to('float32'));
        const worst = noGrad(() => lo.mul(corner).add(hi.mul(corner.neg().add(1))));
        noGrad(() => margins(net, worst, preds).slice(1, j, j + 1).toArray()).forEach((v, i) => rows[i].push(v));
      }
      return rows;
    });
    noGrad(() => {
      for (const [name, b] of [
        ['ibp', ibpSpecBounds(net, x, eps, C)],
        ['crown', crownSpecBounds(net, x, eps, C)],
        ['deeppoly', deepPolySpecBounds(net, x, eps, C)],
        ['tightest', tightestSpecBounds(net, x, eps, C, { of: ['ibp', 'crown', 'deeppoly'] })],
      ] as const) {
        const got = b.toArray();
        exact.flat().forEach((v, k) => assert.ok(Math.abs(got[k] - v) < 1e-5 * (1 + Math.abs(v)), `${name}: bound ${got[k]}, exact minimum ${v}`));
      }
    });
  });
});

test('DeepPoly concretises at an intermediate layer where that wins: 0 where CROWN gives -1', () => {
  // x in [0, 1]; z = 2.2x − 1 in [−1, 1.2]; h = relu(z); margin = h. Both lower-slope rules take
  // h >= z (u > −l), whose minimum over the input is −1; the box of h, [relu(−1), relu(1.2)],
  // gives the exact 0.
  const net = new Sequential(new Flatten(), new Linear(1, 1), new ReLU(), new Linear(1, 2));
  noGrad(() => {
    const [l1, l2] = [net.layers[1] as Linear, net.layers[3] as Linear];
    l1.weight.copy_(tensor([[2.2]]));
    l1.bias!.copy_(tensor([-1]));
    l2.weight.copy_(tensor([[1], [0]]));
    l2.bias!.copy_(tensor([0, 0]));
  });
  net.eval();
  tidy(() =>
    noGrad(() => {
      const x = tensor([[[[0.5]]]]);
      const C = marginSpec([0], 2);
      const crown = crownSpecBounds(net, x, 0.5, C).item();
      const deeppoly = deepPolySpecBounds(net, x, 0.5, C).item();
      assert.ok(Math.abs(crown - -1) < 1e-6, `CROWN ${crown}`);
      assert.ok(Math.abs(deeppoly) < 1e-6, `DeepPoly ${deeppoly}`);
      // with the input's bounds only (no intermediate concretisation) DeepPoly would be CROWN
      assert.ok(Math.abs(deepPolySpecBounds(net, x, 0.5, C, { intermediate: 'ibp' }).item()) < 1e-6);
    }),
  );
});

test('certifyDeepPoly: certificate semantics, never looser than CROWN given its intermediate bounds, no counterexample, no leaks', () => {
  const g = new Generator(11);
  const net = tinyMlp(12);
  const x = rand([40, 1, 3, 4], { generator: g });
  const preds = noGrad(() => net.forward(x).argmax(1).toArray());
  const labels = preds.map((p, i) => (i % 4 === 0 ? (p + 1) % 5 : p));
  const eps = 0.3; // this random network is flat: CROWN verifies 35 of 40 here
  certifyDeepPoly(net, x, labels, eps, { batchSize: 16 }); // warm-up
  const before = liveTensors();
  const progress: number[] = [];
  const dp = certifyDeepPoly(net, x, labels, eps, { batchSize: 16, onProgress: (d) => progress.push(d) });
  const m = deepPolyMarginBounds(net, x, eps, preds);
  assert.equal(liveTensors(), before + 1);
  m.dispose();
  assert.equal(liveTensors(), before);
  assert.deepEqual(progress, [16, 32, 40]);
  const crown = certifyCROWN(net, x, labels, eps);
  // with CROWN's intermediate bounds, DeepPoly only adds candidates to CROWN's maximum
  const sameIntermediate = certifyDeepPoly(net, x, labels, eps, { intermediate: 'crown' });
  const attacked = pgdMinMargins(net, x, preds, eps, 20).map((r) => Math.min(...r));
  dp.forEach((c, i) => {
    assert.equal(c.certifier, 'deeppoly');
    assert.equal(c.index, i);
    assert.equal(c.norm, 'linf');
    const ok = c.marginLower!.every((v) => v > 0);
    assert.equal(c.prediction, ok ? preds[i] : 'abstain');
    assert.equal(c.radius, ok ? eps : 0);
    assert.equal(c.certified, ok && preds[i] === labels[i]);
    if (ok) assert.ok(attacked[i] > 0, `input ${i} verified but PGD found margin ${attacked[i]}`);
    sameIntermediate[i].marginLower!.forEach((v, j) => assert.ok(v >= crown[i].marginLower![j] - 1e-5, `input ${i}: DeepPoly ${v} < CROWN ${crown[i].marginLower![j]}`));
  });
  const verified = dp.filter((c) => c.prediction !== 'abstain').length;
  assert.ok(verified > 0 && verified < 40, `DeepPoly verified ${verified} of 40`);
});

test('deepPolySpecBounds is differentiable through residual blocks and max pooling (gradients reach the weights)', () => {
  const net = tinyResNet(3);
  const x = rand([2, 1, 8, 8], { generator: new Generator(4) });
  const preds = noGrad(() => net.forward(x).argmax(1).toArray());
  for (const bound of [
    () => deepPolySpecBounds(net, x, 0.02, marginSpec(preds, 3)),
    () => crownSpecBounds(net, x, 0.02, marginSpec(preds, 3)),
  ]) {
    tidy(() => {
      for (const p of net.parameters()) p.zeroGrad(); // parameters require grad (nn/init.ts)
      bound().sum().backward();
      const grads = net.parameters().map((p) => p.grad!);
      assert.ok(grads.every((g) => g.isfinite().logicalNot().sum().item() === 0), 'finite gradients');
      assert.ok(grads.filter((g) => g.abs().sum().item() > 0).length >= grads.length - 2, 'gradients reach (nearly) every parameter');
    });
  }
});

test('DeepPoly: clear errors for bad options', () => {
  const mlp = tinyMlp(17);
  const x = rand([2, 1, 3, 4]);
  assert.throws(() => certifyDeepPoly(mlp, x, [0, 1], 0.1, { intermediate: 'exact' as never }), /^RangeError: deeppoly: intermediate 'exact' is not one of deeppoly, crown, ibp$/);
  assert.throws(() => certifyDeepPoly(mlp, x, [0, 1], 0.1, { batchSize: 0 }), /deeppoly: batchSize 0 must be an integer >= 1/);
  assert.throws(() => certifyDeepPoly(mlp, x, [0, 1], 0.1, { maxElements: 0 }), /deeppoly: maxElements 0 must be an integer >= 1/);
  assert.throws(() => certifyDeepPoly(mlp, x, [0], 0.1), /deeppoly: 1 labels for 2 images/);
  const train = buildModel('cifar-resnet', { seed: 1, inputShape: [3, 4, 4] });
  assert.throws(() => certifyDeepPoly(train, rand([1, 3, 4, 4]), [0], 0.1), /^Error: deeppoly: BatchNorm2d '1' is in train mode; call model\.eval\(\) before certifying$/);
});
