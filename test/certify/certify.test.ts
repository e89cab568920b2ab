import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential, buildModel } from '../../src/nn/index.js';
import { Generator, liveTensors, noGrad, rand } from '../../src/tensor/index.js';
import { Smooth, certifyCROWN, certifyIBP, type CertificateCore } from '../../src/certify/index.js';
import { certifierEngine } from '../../src/experiment/index.js';
import { CERTIFIERS } from '../../src/catalog/index.js';
import { loadConfig, certifierOptions } from '../../src/config/index.js';

const withoutTime = (cs: CertificateCore[]) => cs.map(({ seconds: _s, ...rest }) => rest);

test("each certifier's catalog engine is its algorithm with the options of its config section", async () => {
  const model = buildModel('mnist-small', { seed: 21 }).eval();
  const x = rand([3, 1, 28, 28], { generator: new Generator(2) });
  const labels = noGrad(() => model.forward(x).argmax(1).toArray());
  const cfg = loadConfig({ certify: { smoothing: { n0: 10, n: 300, alpha: 0.01, batchSize: 128 }, ibp: { epsilon: 0.005 }, crown: { epsilon: 0.005, intermediate: 'ibp' } } });
  const run = async (kind: string) => (await certifierEngine(kind)).certify(model, x, labels, certifierOptions(cfg, kind), { seed: 7, numClasses: 10 });
  const before = liveTensors();
  const viaEngine = await run('smoothing');
  const smooth = new Smooth((t) => model.forward(t), 10, 0.25, { generator: new Generator(7), batchSize: 128 });
  assert.deepEqual(withoutTime(viaEngine), withoutTime(smooth.certifyMany(x, labels, { n0: 10, n: 300, alpha: 0.01 })));
  assert.ok(viaEngine.every((c) => c.certifier === 'smoothing' && c.norm === CERTIFIERS.get('smoothing').norm && c.counts!.length === 10));
  assert.deepEqual(withoutTime(await run('ibp')), withoutTime(certifyIBP(model, x, labels, 0.005)));
  const crown = await run('crown');
  assert.deepEqual(withoutTime(crown), withoutTime(certifyCROWN(model, x, labels, 0.005, { intermediate: 'ibp' })));
  assert.ok(crown.every((c) => c.certifier === 'crown' && c.norm === CERTIFIERS.get('crown').norm));
  assert.equal(liveTensors(), before);
  await assert.rejects(() => certifierEngine('bogus'), { name: 'UnknownKindError', message: `unknown certifier "bogus"; known certifiers: ${CERTIFIERS.names.join(', ')}` });
});

test('every certifier refuses a model whose BatchNorm is in train mode (its statistics would change)', async () => {
  const g = new Generator(1);
  const model = new Sequential(new Conv2d(1, 2, 3, { generator: g }), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(8, 3, { generator: g }));
  const x = rand([2, 1, 4, 4]);
  const cfg = loadConfig({ certify: { smoothing: { sigma: 0.5, n0: 1, n: 10, alpha: 0.1 } } });
  for (const kind of CERTIFIERS.names) {
    const engine = await certifierEngine(kind);
    assert.throws(
      () => engine.certify(model, x, [0, 1], certifierOptions(cfg, kind), { seed: 1, numClasses: 3 }),
      new RegExp(`^Error: ${kind}: BatchNorm2d '1' is in train mode; call model\\.eval\\(\\) before certifying$`),
    );
  }
  model.eval();
  assert.equal((await certifierEngine('crown')).certify(model, x, [0, 1], certifierOptions(cfg, 'crown'), { seed: 1, numClasses: 3 }).length, 2);
});
