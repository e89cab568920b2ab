import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Module, Sequential, buildModel } from '../../src/nn/index.js';
import { Generator, liveTensors, noGrad, rand, randn, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import {
  certifyCROWN,
  certifyIBP,
  crownBounds,
  crownMarginBounds,
  ibpBounds,
  ibpMarginBounds,
  inputBox,
  largestCertifiedEps,
  largestCertifiedEpsMany,
  bounds,
} from '../../src/certify/index.js';
import { flat, margins, pgdMinMargins, sampledMinMargins, tinyConvNet, tinyMlp, tinyResNet } from './helpers.js';

test('affine backward passes are the exact transposes of their layers (adjoint identity)', () => {
  tidy(() =>
    noGrad(() => {
      const g = new Generator(3);
      const net = tinyConvNet(7);
      const layers: Array<[Module, number[]]> = [
        [net.layers[0], [1, 8, 8]],
        [net.layers[1], [4, 4, 4]],
        [net.layers[3], [4, 4, 4]],
        [net.layers[5], [6, 4, 4]],
        [new AvgPool2d(3, { stride: 2 }), [2, 7, 7]],
        [new Conv2d(2, 3, [3, 2], { stride: [2, 3], padding: [1, 0], generator: g }), [2, 9, 8]],
        [net.layers[6], [6, 2, 2]],
        [net.layers[7], [24]],
      ];
      for (const [layer, shape] of layers) {
        const op = bounds.boundModuleFor(layer, 'crown');
        assert.ok(!('expand' in op), `${layer.constructor.name} is a single layer`);
        const x = randn([2, ...shape], { generator: g });
        const y = layer.forward(x);
        const y0 = layer.forward(x.mul(0));
        const S = 3;
        const A = randn([2, S, ...y.shape.slice(1)], { generator: g });
        const r = op.backward!(layer, A, { inputShape: shape, lowerSlope: 'adaptive' });
        assert.deepEqual(r.A.shape, [2, S, ...shape], `${layer.constructor.name} coefficient shape`);
        // <A, f(x)> = <A', x> + bias  (bias = <A, f(0)>)
        const lhs = A.reshape([2, S, -1]).matmul(y.reshape([2, -1, 1])).squeeze(2);
        let rhs = r.A.reshape([2, S, -1]).matmul(x.reshape([2, -1, 1])).squeeze(2);
        if (r.bias) rhs = rhs.add(r.bias);
        const bias0 = A.reshape([2, S, -1]).matmul(y0.reshape([2, -1, 1])).squeeze(2);
        const err = lhs.sub(rhs).abs().max().item();
        const scale = lhs.abs().max().item() + 1;
        assert.ok(err < 1e-4 * scale, `${layer.constructor.name}: adjoint error ${err}`);
        const biasErr = (r.bias ?? bias0.mul(0)).sub(bias0).abs().max().item();
        assert.ok(biasErr < 1e-4 * scale, `${layer.constructor.name}: bias error ${biasErr}`);
      }
    }),
  );
});

test('MaxPool2d relaxation: A·maxpool(x) >= A\'·x + bias on sampled points and corners of the box, exact where one input dominates each window', () => {
  tidy(() =>
    noGrad(() => {
      const g = new Generator(21);
      const configs: Array<[MaxPool2d, number[]]> = [
        [new MaxPool2d(2), [3, 4, 4]],
        [new MaxPool2d(3, { stride: 1, padding: 1 }), [2, 5, 5]],
        [new MaxPool2d([2, 3], { stride: [1, 2], padding: [1, 1] }), [2, 4, 6]],
      ];
      const B = 2;
      const S = 5;
      const P = 300;
      for (const [layer, shape] of configs) {
        const op = bounds.boundModuleFor(layer, 'crown') as bounds.BoundModule<MaxPool2d>;
        for (const pointBox of [false, true]) {
          // on a point box (l = u) the largest input dominates every window: the relaxation is exact
          const l = randn([B, ...shape], { generator: g });
          const u = pointBox ? l : l.add(rand([B, ...shape], { generator: g }).mul(1.5));
          const y0 = layer.forward(l);
          for (const Ba of [1, B]) {
            const A = randn([Ba, S, ...y0.shape.slice(1)], { generator: g });
            const r = op.backward!(layer, A, { inputShape: shape, lower: l, upper: u, lowerSlope: 'adaptive' });
            assert.deepEqual(r.A.shape, [B, S, ...shape]);
            const u01 = rand([P, B, ...shape], { generator: g });
            const corner = rand([P, B, ...shape], { generator: g }).ge(0.5).to('float32');
            for (const t of [u01, corner]) {
              const x = l.unsqueeze(0).add(u.sub(l).unsqueeze(0).mul(t)); // [P, B, ...]
              const y = layer.forward(x.reshape([P * B, ...shape])).reshape([P, B, -1, 1]);
              const lhs = A.reshape([1, Ba, S, -1]).matmul(y).squeeze(3); // [P, B, S]
              const rhs = r.A.reshape([1, B, S, -1]).matmul(x.reshape([P, B, -1, 1])).squeeze(3).add(r.bias!.unsqueeze(0));
              const gap = lhs.sub(rhs);
              assert.ok(gap.min().item() > -1e-4, `${JSON.stringify(layer.kernelSize)}: relaxation violated by ${-gap.min().item()}`);
              if (pointBox) assert.ok(gap.abs().max().item() < 1e-4, `exact on a point box, gap ${gap.abs().max().item()}`);
            }
          }
        }
      }
      // a window whose largest lower bound dominates: the upper line is y = x_{j*}, not a constant
      const pool = new MaxPool2d(2);
      const l = tensor([[[[5, 0], [1, 2]]]]);
      const u = tensor([[[[6, 1], [2, 4]]]]);
      const op = bounds.boundModuleFor(pool, 'crown') as bounds.BoundModule<MaxPool2d>;
      const neg = op.backward!(pool, tensor([[[[[-1]]]]]), { inputShape: [1, 2, 2], lower: l, upper: u, lowerSlope: 'adaptive' });
      assert.deepEqual(neg.A.reshape([-1]).toArray(), [-1, 0, 0, 0]);
      assert.deepEqual(neg.bias!.toArray(), [0]);
      // not dominated (u = 5.5 > l* = 5): the upper line is the constant max u = 6, so -y >= -6
      const u2 = tensor([[[[6, 1], [2, 5.5]]]]);
      const loose = op.backward!(pool, tensor([[[[[-1]]]]]), { inputShape: [1, 2, 2], lower: l, upper: u2, lowerSlope: 'adaptive' });
      assert.deepEqual(loose.A.reshape([-1]).toArray(), [0, 0, 0, 0]);
      assert.deepEqual(loose.bias!.toArray(), [-6]);
    }),
  );
});

test('eps = 0: IBP and CROWN margin bounds equal the exact margins', () => {
  tidy(() =>
    noGrad(() => {
      const net = tinyConvNet(8);
      const x = rand([5, 1, 8, 8], { generator: new Generator(1) });
      const preds = net.forward(x).argmax(1).toArray();
      const exact = margins(net, x, preds);
      for (const b of [ibpMarginBounds(net, x, 0, preds), crownMarginBounds(net, x, 0, preds)]) {
        assert.ok(b.sub(exact).abs().max().item() < 1e-4);
      }
    }),
  );
});

interface Case {
  name: string;
  model: Module;
  inputShape: number[];
  eps: number[];
  inputs: number;
}

const cases = (): Case[] => [
  { name: 'mlp', model: tinyMlp(1), inputShape: [1, 3, 4], eps: [0.02, 0.1], inputs: 4 },
  { name: 'conv', model: tinyConvNet(2), inputShape: [1, 8, 8], eps: [0.01, 0.05], inputs: 4 },
  { name: 'mnist-small', model: buildModel('mnist-small', { seed: 3 }).eval(), inputShape: [1, 28, 28], eps: [0.002, 0.01], inputs: 2 },
  { name: 'resnet', model: tinyResNet(4), inputShape: [1, 8, 8], eps: [0.01, 0.05], inputs: 3 },
];

test('soundness: no sampled point and no PGD attack goes below the IBP / CROWN margin lower bounds', () => {
  const g = new Generator(42);
  let compared = 0;
  let tighter = 0;
  let gapSum = 0;
  for (const c of cases()) {
    for (const eps of c.eps) {
      tidy(() => {
        const x = rand([c.inputs, ...c.inputShape], { generator: g });
        const preds = noGrad(() => c.model.forward(x).argmax(1).toArray());
        const methods: Array<[string, number[][]]> = noGrad(() => {
          const out: Array<[string, number[][]]> = [['ibp', flat(ibpMarginBounds(c.model, x, eps, preds), c.inputs)]];
          out.push(['crown', flat(crownMarginBounds(c.model, x, eps, preds), c.inputs)]);
          out.push(['crown-ibp', flat(crownMarginBounds(c.model, x, eps, preds, { intermediate: 'ibp' }), c.inputs)]);
          for (const lowerSlope of c.name === 'mnist-small' ? [] : (['zero', 'one', 'same-slope'] as const)) {
            out.push([`crown/${lowerSlope}`, flat(crownMarginBounds(c.model, x, eps, preds, { lowerSlope }), c.inputs)]);
          }
          return out;
        });
        const attackedAll = pgdMinMargins(c.model, x, preds, eps, 20);
        for (let i = 0; i < c.inputs; i++) {
          const xi = x.slice(0, i, i + 1);
          const sampled = sampledMinMargins(c.model, xi, preds[i], eps, 1000, g);
          const attacked = attackedAll[i];
          for (const [name, b] of methods) {
            b[i].forEach((lb, j) => {
              const worst = Math.min(sampled[j], attacked[j]);
              assert.ok(lb <= worst + 1e-4, `${c.name} eps ${eps} input ${i} ${name}: bound ${lb} > attained margin ${worst} (j-row ${j})`);
            });
          }
          const ibp = methods[0][1][i];
          const crown = methods[1][1][i];
          crown.forEach((v, j) => {
            assert.ok(v >= ibp[j] - 1e-5, `${c.name} eps ${eps} input ${i}: CROWN ${v} looser than IBP ${ibp[j]}`);
            compared++;
            gapSum += v - ibp[j];
            if (v > ibp[j] + 1e-6) tighter++;
          });
        }
      });
    }
  }
  assert.ok(gapSum / compared > 1e-3 && tighter > compared / 2, `CROWN tighter on ${tighter} of ${compared} margins, mean gap ${gapSum / compared}`);
});

test('logit bounds contain sampled logits (IBP and CROWN)', () => {
  tidy(() =>
    noGrad(() => {
      const g = new Generator(5);
      const net = tinyConvNet(9);
      const x = rand([3, 1, 8, 8], { generator: g });
      const eps = 0.05;
      const ib = ibpBounds(net, x, eps);
      const cb = crownBounds(net, x, eps);
      assert.ok(cb.lower.sub(ib.lower).min().item() > -1e-5 && ib.upper.sub(cb.upper).min().item() > -1e-5);
      for (let i = 0; i < 3; i++) {
        const [lo, hi] = inputBox(x.slice(0, i, i + 1), eps);
        const pts = lo.add(hi.sub(lo).mul(rand([2000, 1, 8, 8], { generator: g })));
        const y = net.forward(pts);
        assert.ok(y.min(0).sub(cb.lower.slice(0, i, i + 1)).min().item() > -1e-4);
        assert.ok(cb.upper.slice(0, i, i + 1).sub(y.max(0)).min().item() > -1e-4);
      }
    }),
  );
});

test('certifyIBP / certifyCROWN: certificate semantics, no counterexample to a certificate, no leaks', () => {
  const g = new Generator(11);
  const net = tinyMlp(12);
  const x = rand([40, 1, 3, 4], { generator: g });
  const preds = noGrad(() => net.forward(x).argmax(1).toArray());
  const labels = preds.map((p, i) => (i % 4 === 0 ? (p + 1) % 5 : p)); // some wrong labels
  const eps = 0.03;
  certifyIBP(net, x, labels, eps, { batchSize: 16 }); // warm-up
  const before = liveTensors();
  const progress: number[] = [];
  const ibp = certifyIBP(net, x, labels, eps, { batchSize: 16, onProgress: (d) => progress.push(d) });
  const crown = certifyCROWN(net, x, labels, eps, { batchSize: 7 });
  largestCertifiedEpsMany(net, x.slice(0, 0, 5), preds.slice(0, 5), { batchSize: 2 });
  assert.equal(liveTensors(), before + 1); // the slice
  // the bound functions return only their result
  const m = crownMarginBounds(net, x, eps, preds);
  const b = ibpBounds(net, x, eps);
  const cb = crownBounds(net, x, eps, { intermediate: 'ibp' });
  assert.equal(liveTensors(), before + 6);
  for (const t of [m, b.lower, b.upper, cb.lower, cb.upper]) t.dispose();
  assert.equal(liveTensors(), before + 1);
  assert.deepEqual(progress, [16, 32, 40]);
  let verified = 0;
  const attacked = pgdMinMargins(net, x, preds, eps, 20).map((m) => Math.min(...m));
  for (const certs of [ibp, crown]) {
    certs.forEach((c, i) => {
      assert.equal(c.index, i);
      assert.equal(c.norm, 'linf');
      assert.equal(c.marginLower!.length, 4);
      const ok = c.marginLower!.every((v) => v > 0);
      assert.equal(c.prediction, ok ? preds[i] : 'abstain');
      assert.equal(c.radius, ok ? eps : 0);
      assert.equal(c.certified, ok && preds[i] === labels[i]);
      if (ok) {
        verified++;
        assert.ok(attacked[i] > 0, `input ${i} verified by ${c.certifier} but PGD found margin ${attacked[i]}`);
      }
    });
  }
  // CROWN verifies everything IBP does here, and more
  ibp.forEach((c, i) => c.prediction !== 'abstain' && assert.notEqual(crown[i].prediction, 'abstain'));
  const count = (cs: typeof ibp) => cs.filter((c) => c.prediction !== 'abstain').length;
  assert.ok(count(ibp) > 0 && count(ibp) < 40 && count(crown) > count(ibp), `IBP verified ${count(ibp)}, CROWN ${count(crown)} of 40`);
  assert.ok(crown.some((c) => c.prediction !== 'abstain' && c.prediction !== c.label), 'a certified-wrong case is kept');
});

test('largestCertifiedEps: verified at the returned eps, not at eps + tol', () => {
  const g = new Generator(13);
  const net = tinyMlp(14);
  const x = rand([3, 1, 3, 4], { generator: g });
  const preds = noGrad(() => net.forward(x).argmax(1).toArray());
  const tol = 1e-3;
  for (const method of ['ibp', 'crown'] as const) {
    const many = largestCertifiedEpsMany(net, x, preds, { method, tol, hi: 2 });
    for (let i = 0; i < 3; i++) {
      const xi = x.slice(0, i, i + 1);
      const eps = largestCertifiedEps(net, xi.squeeze(0), preds[i], { method, tol, hi: 2 });
      assert.ok(Math.abs(eps - many[i]) <= tol, `${method}: ${eps} vs batched ${many[i]}`);
      assert.ok(eps > 0 && eps < 1, `${method} input ${i}: eps ${eps}`);
      const certify = method === 'ibp' ? certifyIBP : certifyCROWN;
      assert.equal(certify(net, xi, [preds[i]], eps)[0].certified, true, `${method}: not verified at ${eps}`);
      assert.equal(certify(net, xi, [preds[i]], eps + tol)[0].certified, false, `${method}: verified at ${eps} + tol`);
    }
    // a wrong label gets 0
    assert.equal(largestCertifiedEps(net, x.slice(0, 0, 1).squeeze(0), (preds[0] + 1) % 5, { method }), 0);
  }
  const ibpEps = largestCertifiedEpsMany(net, x, preds, { method: 'ibp' });
  const crownEps = largestCertifiedEpsMany(net, x, preds, { method: 'crown' });
  crownEps.forEach((e, i) => assert.ok(e >= ibpEps[i] - 1e-3, `CROWN radius ${e} < IBP radius ${ibpEps[i]}`));
});

test('clear errors for unsupported layers, train-mode BatchNorm and bad parameters', () => {
  class Square extends Module {
    forward(x: Tensor): Tensor {
      return x.square();
    }
  }
  const x = rand([2, 1, 8, 8]);
  const sq = new Sequential(new Flatten(), new Square(), new Linear(64, 2));
  assert.throws(
    () => certifyCROWN(sq, x, [0, 1], 0.01),
    /^Error: crown: layer kind Square is not supported \(supported: Linear, Conv2d, ReLU, Flatten, BatchNorm2d \(eval\), AvgPool2d, MaxPool2d, BasicBlock\)$/,
  );
  assert.throws(() => certifyIBP(sq, x, [0, 1], 0.01), /^Error: ibp: layer kind Square is not supported/);
  // a layer kind registered with an interval pass only: IBP bounds it, CROWN names it
  class Clip extends Module {
    forward(x: Tensor): Tensor {
      return x.clamp(0, 1);
    }
  }
  bounds.registerBoundModule(Clip, { kind: 'Clip', affine: false, interval: (_l, lo, hi) => [lo.clamp(0, 1), hi.clamp(0, 1)] });
  const clip = new Sequential(new Flatten(), new Clip(), new Linear(64, 2));
  assert.equal(certifyIBP(clip, x, [0, 1], 0.01).length, 2);
  assert.throws(() => certifyCROWN(clip, x, [0, 1], 0.01), /^Error: crown: layer kind Clip is not supported \(supported: .*MaxPool2d, BasicBlock\)$/);
  const train = tinyConvNet(16).train();
  assert.throws(() => certifyIBP(train, rand([1, 1, 8, 8]), [0], 0.1), /ibp: BatchNorm2d '1' is in train mode; call model\.eval\(\)/);
  const mlp = tinyMlp(17);
  const xm = rand([2, 1, 3, 4]);
  assert.throws(() => certifyIBP(mlp, xm, [0, 1], -0.1), /eps -0\.1 must be finite and >= 0/);
  assert.throws(() => certifyIBP(mlp, xm, [0], 0.1), /ibp: 1 labels for 2 images/);
  assert.throws(() => certifyCROWN(mlp, xm, [0, 1], 0.1, { batchSize: 0 }), /crown: batchSize 0 must be an integer >= 1/);
  assert.throws(() => certifyCROWN(mlp, xm, [0, 1], 0.1, { lowerSlope: 'half' as never }), /lowerSlope 'half' is not one of/);
  assert.throws(() => largestCertifiedEps(mlp, xm.slice(0, 0, 1).squeeze(0), 0, { tol: 0 }), /tol 0 must be > 0/);
});
