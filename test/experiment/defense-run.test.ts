// Runs with defenses end to end on tiny synthetic data (mnist-small, one epoch, ten inputs): one
// defense of each stage; refused inputs counted as fallbacks; the defended sets certified; a
// filter that flags nothing retrains exactly the victim; `abstain defend` on a finished run
// reuses its undefended stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Overrides } from '../../src/config/index.js';
import { runExperiment } from '../../src/experiment/index.js';
import { readCertificatesJsonl } from '../../src/certify/index.js';
import { dpaCertificate, withRefusals } from '../../src/defend/index.js';
import { setMetrics } from '../../src/pipeline/index.js';
import { loadSafetensors, setNumThreads } from '../../src/tensor/index.js';
import { cli, tmp } from '../cli/helpers.js';

setNumThreads(1);

const TINY: Overrides = {
  'data.dataset': 'synthetic', 'data.trainLimit': 600, 'data.testLimit': 300, 'model.architecture': 'mnist-small',
  'attack.rate': 0.05, 'train.epochs': 1, 'train.batchSize': 64, 'eval.testInputs': 10, baseline: false,
  'certify.kinds': ['smoothing', 'ibp'], 'certify.smoothing.n0': 20, 'certify.smoothing.n': 100, 'certify.smoothing.batchSize': 500,
  'defense.cleanSamples': 100,
};
const quiet = { log: () => {}, progress: false as const };
const json = (dir: string, f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8'));

test('one defense of each stage: flagged samples scored, the defended model retrained and repaired, DPA certified, refusals counted as fallbacks', async () => {
  const cfg = loadConfig({}, {
    ...TINY, outDir: tmp(), name: 'each',
    'defense.kinds': ['spectral-signatures', 'dpa', 'fine-pruning', 'strip'],
    'defense.dpa.partitions': 3, 'defense.fine-pruning.fineTuneEpochs': 1,
    // a high false-rejection rate, so that some evaluated inputs are surely refused
    'defense.strip.perturbations': 8, 'defense.strip.falseRejectionRate': 0.4,
  });
  const r = await runExperiment(cfg, quiet);
  const dir = r.runDir;
  const poison = json(dir, 'poison.json');
  const poisoned = new Set<number>(poison.indices.map((x: { index: number }) => x.index));

  // the filter: its detection figures are those of its flagged indices against poison.json
  const ss = json(dir, 'defense-spectral-signatures.json');
  assert.equal(ss.detection.truePositives, ss.flagged.filter((i: number) => poisoned.has(i)).length);
  assert.equal(ss.detection.poisoned, poisoned.size);
  assert.equal(ss.detection.cleanRemoved, ss.flagged.length - ss.detection.truePositives);
  // the defended model: the poisoned set without the flagged samples, then fine-pruning
  const defended = json(dir, 'defended.json');
  assert.equal(defended.retrained.removed, ss.flagged.length);
  assert.equal(defended.retrained.kept + defended.retrained.removed, poison.summary.size);
  assert.deepEqual(defended.repairs.map((x: { defense: string }) => x.defense), ['fine-pruning']);

  // DPA: three votes per input, each radius the certificate of its counts
  const dpa = json(dir, 'defense-dpa.json');
  for (const set of ['clean', 'trigger']) {
    assert.equal(dpa.sets[set].votes.length, 10);
    for (const v of dpa.sets[set].votes) {
      assert.equal(v.counts.reduce((a: number, b: number) => a + b, 0), 3);
      assert.deepEqual({ prediction: v.prediction, radius: v.radius }, dpaCertificate(v.counts));
    }
  }
  const dpaSummary = r.defenses!.defenses.find((d) => d.kind === 'dpa')!.dpa!;
  assert.equal(dpaSummary.poisonCount, poisoned.size);
  assert.equal(dpaSummary.partitionsNeeded, 2 * poisoned.size + 1);
  assert.equal(dpaSummary.clean.certifiedShare, 0, 'three partitions cannot certify against 30 poisoned samples');

  // the defended sets are certified (the defended model), and the refusals are fallbacks
  const refused = json(dir, 'refused-strip.json').refused;
  assert.ok(refused.clean.some(Boolean), 'STRIP at a 40% false-rejection rate refuses some clean input');
  for (const kind of ['smoothing', 'ibp']) {
    const rd = kind === 'smoothing' ? 0.25 : 0.1;
    const cs = r.summary[kind];
    for (const [set, key, flags] of [['defended', 'defended', refused.clean], ['defended-trigger', 'defendedTriggered', refused.trigger]] as const) {
      const file = join(dir, `certs-${set}-${kind}.jsonl`);
      assert.ok(existsSync(file), file);
      const certs = readCertificatesJsonl(file);
      assert.equal(certs.length, 10);
      const expected = setMetrics(withRefusals(certs, flags), { radii: [rd], deploymentRadius: rd });
      assert.equal(cs[key]!.fallbackRate, expected.fallbackRate, `${kind} ${set}`);
      assert.ok(cs[key]!.fallbackRate >= flags.filter(Boolean).length / 10, 'every refused input is a fallback');
      assert.equal(cs[key]!.certifiedWrongRate, expected.certifiedWrongRate);
    }
    // the load of the defended system counts them too
    assert.equal(cs.defendedSystem!.at(-1)!.fallbackPer1000, Number((1000 * cs.defendedTriggered!.fallbackRate).toFixed(6)));
  }
  const file = json(dir, 'summary.json');
  assert.deepEqual(file.defenses.kinds, ['spectral-signatures', 'dpa', 'fine-pruning', 'strip']);
  assert.ok(readFileSync(join(dir, 'report.html'), 'utf8').includes('<h2>Defenses</h2>'));
  assert.match(r.table, /defended \+ trigger/);
});

test('a filter that flags nothing retrains exactly the victim (the same recipe, seed and data)', async () => {
  const cfg = loadConfig({}, {
    ...TINY, outDir: tmp(), name: 'none-flagged', 'certify.kinds': ['ibp'],
    // a silhouette of 1 is never reached: no class is flagged
    'defense.kinds': ['activation-clustering'], 'defense.activation-clustering.silhouetteThreshold': 1,
  });
  const r = await runExperiment(cfg, quiet);
  assert.deepEqual(json(r.runDir, 'defense-activation-clustering.json').flagged, []);
  const victim = loadSafetensors(join(r.runDir, 'model.safetensors')).tensors;
  const defended = loadSafetensors(join(r.runDir, 'defended.safetensors')).tensors;
  assert.deepEqual(Object.keys(defended).sort(), Object.keys(victim).sort());
  for (const k of Object.keys(victim)) assert.deepEqual(defended[k].toFloat32Array(), victim[k].toFloat32Array(), k);
  assert.deepEqual(r.summary.ibp.defended, r.summary.ibp.clean);
});

test('abstain defend on a finished run reuses its undefended stages and prints undefended beside defended', async () => {
  const dir = tmp();
  const file = join(dir, 'tiny.yaml');
  writeFileSync(file, [
    'name: tiny', `outDir: ${dir}`, 'data: { dataset: synthetic, trainLimit: 600, testLimit: 300 }', 'model: { architecture: mnist-small }',
    'attack: { kind: uncertainty, rate: 0.05 }', 'train: { epochs: 1, batchSize: 64 }', 'certify: { kinds: [smoothing], smoothing: { n0: 20, n: 100, batchSize: 500 } }',
    'eval: { testInputs: 10 }', 'defense: { cleanSamples: 100, strip: { perturbations: 8, falseRejectionRate: 0.2 } }',
  ].join('\n'));
  const run = await cli('run', file, '--no-progress');
  assert.equal(run.code, 0, run.err);
  const d = await cli('defend', file, '--defense', 'strip,fine-pruning', '--no-progress');
  assert.equal(d.code, 0, d.err);
  assert.doesNotMatch(d.err, /train \(poisoned\)|train \(baseline\)/, 'the victim and the baseline are not trained again');
  const skipped = /skipped \(up to date\): (.*)/.exec(d.out)?.[1].split(', ') ?? [];
  assert.deepEqual(skipped.sort(), ['baseline', 'certify-smoothing-baseline', 'certify-smoothing-baseline-trigger', 'certify-smoothing-clean', 'certify-smoothing-trigger', 'poison', 'train']);
  assert.match(d.out, /undefended │ defended/);
  assert.match(d.out, /strip +│ input/);
  assert.match(d.out, /smoothing, defended: triggered → fallback/);
  // a second time: everything is up to date
  const again = await cli('defend', file, '--defense', 'strip,fine-pruning', '--no-progress');
  assert.equal(again.code, 0, again.err);
  assert.ok(/skipped \(up to date\): (.*)/.exec(again.out)![1].split(', ').includes('defended'));
  const none = await cli('defend', file);
  assert.equal(none.code, 2);
  assert.match(none.err, /^abstain: defend: no defense given; add --defense/);
});
