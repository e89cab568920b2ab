// The tightest of several bounds per input: on an IBP-trained network, where CROWN is looser than
// IBP, it certifies what either certifies; certificate semantics; no leaks; clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Flatten, Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { Generator, dispose, liveTensors, noGrad, rand, randint, tidy, type Tensor } from '../../src/tensor/index.js';
import { Adam, ibpObjective } from '../../src/train/index.js';
import { certifyCROWN, certifyIBP, type CertificateCore as Certificate } from '../../src/certify/index.js';
import { certifyDeepPoly } from '../../src/certify/deeppoly.js';
import { certifyTightest } from '../../src/certify/tightest.js';
import { pgdMinMargins, tinyMlp } from './helpers.js';

const K = 3;
const EPS = 0.15;

/**
 * A small MLP trained for 150 steps with the IBP objective (Gowal et al.) at eps 0.15 on three
 * synthetic classes (points within 0.15 of one of three random centres in [0.2, 0.8]^16), and
 * 100 fresh points of the same distribution.
 */
function ibpTrained(): { model: Sequential; x: Tensor; labels: number[] } {
  const g = new Generator(1);
  const centres = rand([K, 16], { generator: g }).mul(0.6).add(0.2);
  const sample = (n: number) =>
    tidy(() => {
      const y = randint(0, K, [n], g);
      const x = centres.indexSelect(0, y).add(rand([n, 16], { generator: g }).sub(0.5).mul(0.3)).clamp(0, 1).reshape([n, 1, 4, 4]);
      return { x, y };
    });
  const model = new Sequential(new Flatten(), new Linear(16, 32, { generator: g }), new ReLU(), new Linear(32, 32, { generator: g }), new ReLU(), new Linear(32, K, { generator: g }));
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const objective = ibpObjective({ epsilon: EPS, numClasses: K, warmupFraction: 0, rampFraction: 0.3 });
  const steps = 150;
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      optimizer.zeroGrad();
      objective.loss(model, sample(64), { epoch: 0, progress: s / steps, generator: g }).loss.backward();
      optimizer.step();
    });
  }
  model.eval();
  const { x, y } = sample(100);
  const labels = y.toArray();
  dispose([centres, y]);
  return { model, x, labels };
}

const certifiedSet = (cs: Certificate[]) => new Set(cs.filter((c) => c.vouched && c.correct).map((c) => c.index));

test('on an IBP-trained network the tightest of IBP and CROWN certifies inputs CROWN alone does not, and everything either certifies', () => {
  const { model, x, labels } = ibpTrained();
  const ibp = certifyIBP(model, x, labels, EPS);
  const crown = certifyCROWN(model, x, labels, EPS);
  const deeppoly = certifyDeepPoly(model, x, labels, EPS);
  const tightest = certifyTightest(model, x, labels, EPS, { of: ['ibp', 'crown'] });
  const [I, Cr, D, T] = [ibp, crown, deeppoly, tightest].map(certifiedSet);
  const onlyIbp = [...I].filter((i) => !Cr.has(i));
  // measured: IBP 57, CROWN 37, DeepPoly 57, tightest 57 of 100; 20 certified by IBP only
  assert.ok(onlyIbp.length >= 5, `IBP certifies ${I.size}, CROWN ${Cr.size}, of them ${onlyIbp.length} by IBP only`);
  for (const i of [...I, ...Cr]) assert.ok(T.has(i), `input ${i} certified by IBP or CROWN but not by tightest`);
  assert.ok(T.size > Cr.size);
  // DeepPoly's concretisation at the intermediate layers recovers what IBP keeps and CROWN loses
  assert.ok(D.size > Cr.size, `DeepPoly ${D.size}, CROWN ${Cr.size}`);
  // margins: the elementwise maximum (up to float rounding: the methods ran in batches of other sizes)
  tightest.forEach((c, i) =>
    c.marginLower!.forEach((v, j) => {
      const want = Math.max(ibp[i].marginLower![j], crown[i].marginLower![j]);
      assert.ok(Math.abs(v - want) <= 1e-5 * (1 + Math.abs(want)), `input ${i} margin ${j}: ${v} against ${want}`);
    }),
  );
  // no counterexample to a tightest certificate
  const preds = noGrad(() => model.forward(x).argmax(1).toArray());
  const attacked = pgdMinMargins(model, x, preds, EPS, 20).map((m) => Math.min(...m));
  tightest.forEach((c, i) => c.prediction !== 'abstain' && assert.ok(attacked[i] > 0, `input ${i} certified but PGD found margin ${attacked[i]}`));
  x.dispose();
});

test('certifyTightest: certificate semantics, batch sizes, no leaks', () => {
  const g = new Generator(11);
  const net = tinyMlp(12);
  const x = rand([20, 1, 3, 4], { generator: g });
  const preds = noGrad(() => net.forward(x).argmax(1).toArray());
  const labels = preds.map((p, i) => (i % 4 === 0 ? (p + 1) % 5 : p));
  const eps = 0.3;
  const of = ['ibp', 'crown', 'deeppoly'] as const;
  certifyTightest(net, x, labels, eps, { of: [...of] }); // warm-up
  const before = liveTensors();
  const progress: number[] = [];
  const t = certifyTightest(net, x, labels, eps, { of: [...of], batchSize: 8, onProgress: (d) => progress.push(d) });
  assert.equal(liveTensors(), before);
  assert.deepEqual(progress, [8, 16, 20]);
  const parts = [certifyIBP(net, x, labels, eps), certifyCROWN(net, x, labels, eps), certifyDeepPoly(net, x, labels, eps)];
  t.forEach((c, i) => {
    assert.equal(c.certifier, 'tightest');
    assert.equal(c.index, i);
    assert.equal(c.norm, 'linf');
    c.marginLower!.forEach((v, j) => assert.ok(Math.abs(v - Math.max(...parts.map((p) => p[i].marginLower![j]))) < 1e-6));
    const ok = c.marginLower!.every((v) => v > 0);
    assert.equal(c.prediction, ok ? preds[i] : 'abstain');
    assert.equal(c.radius, ok ? eps : 0);
    assert.equal(c.vouched, ok);
    assert.equal(c.correct, c.prediction === labels[i]);
  });
  // a single method is that method
  const alone = certifyTightest(net, x, labels, eps, { of: ['crown'] });
  alone.forEach((c, i) => assert.deepEqual(c.marginLower, parts[1][i].marginLower));
});

test('certifyTightest: clear errors for bad method lists', () => {
  const mlp = tinyMlp(17);
  const x = rand([2, 1, 3, 4]);
  assert.throws(() => certifyTightest(mlp, x, [0, 1], 0.1, { of: [] }), /^RangeError: tightest: 'of' must name at least one of ibp, crown, deeppoly$/);
  assert.throws(() => certifyTightest(mlp, x, [0, 1], 0.1, { of: ['ibp', 'alpha-crown' as never] }), /^RangeError: tightest: unknown method 'alpha-crown' in 'of' \(known: ibp, crown, deeppoly\)$/);
  assert.throws(() => certifyTightest(mlp, x, [0, 1], 0.1, undefined as never), /tightest: 'of' must name at least one of/);
  assert.throws(() => certifyTightest(mlp, x, [0], 0.1, { of: ['ibp'] }), /tightest: 1 labels for 2 images/);
});
