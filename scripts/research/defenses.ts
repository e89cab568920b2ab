// Measures every defense against badnets, uncertainty (soft) and boundary on MNIST at ρ = 1%
// against randomized smoothing (σ 0.25, Gaussian-trained victim), beside the undefended run, plus
// adaptive attacks; writes JSON and a markdown table. A research driver until the lead wires the
// defenses into `abstain reproduce --defenses`.
//   node dist/scripts/research/defenses.js [--train 20000] [--test 200] [--epochs 3] [--n 500] [--out docs/defenses-results.json]
//     [--only badnets,boundary] (attacks whose name starts so) [--dpa 50] (partitions; 0: skip DPA)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadSource, take, type Dataset } from '../../src/data/index.js';
import { buildModel, type Module } from '../../src/nn/index.js';
import { addAdaptiveSamples, applyTrigger, badnets, boundary, uncertainty, type AttackOptions, type PoisonResult, type TriggerSpec } from '../../src/poison/index.js';

const ATTACK = { badnets, uncertainty, boundary } as const;
const runAttack = (name: keyof typeof ATTACK, ds: Parameters<typeof badnets.poison>[0], o: AttackOptions & Record<string, unknown>): PoisonResult => ATTACK[name].poison(ds, o as never);
import { Generator, noGrad, tensor, tidy } from '../../src/tensor/index.js';
import { Smooth } from '../../src/certify/index.js';
import { setMetrics, type SetMetrics } from '../../src/pipeline/metrics.js';
import { gaussianObjective } from '../../src/train/index.js';
import * as D from '../../src/defend/index.js';

const { values: a } = parseArgs({ options: {
  train: { type: 'string', default: '20000' }, test: { type: 'string', default: '200' }, epochs: { type: 'string', default: '3' },
  n: { type: 'string', default: '500' }, dpa: { type: 'string', default: '50' }, out: { type: 'string', default: 'docs/defenses-results.json' }, only: { type: 'string', default: '' },
} });
const N = Number(a.train), M = Number(a.test), EPOCHS = Number(a.epochs), NS = Number(a.n);
const SIGMA = 0.25, RD = 0.25, RATE = 0.01;
const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const recipe: D.TrainRecipe = { objective: gaussianObjective(SIGMA), epochs: EPOCHS, batchSize: 128, lr: 1e-3, build: (seed) => buildModel('mnist-small', { seed }) };
const range = (a0: number, b: number) => Int32Array.from({ length: b - a0 }, (_, i) => a0 + i);

const all = loadSource('mnist', { split: 'train' });
const train = take(all.subset(range(0, 50000)), N, 0);
const heldOut = all.subset(range(50000, 53000)); // the defender's clean data
const testAll = loadSource('mnist', { split: 'test' });
const test = testAll.subset(range(0, M));
const traffic = testAll.subset(range(5000, 5200)); // inputs the test-time defenses watch (not evaluated)
const TRIGGER: TriggerSpec = { kind: 'patch', size: 5, position: 'bottom-right', content: { kind: 'checkerboard' } };

function certify(model: Module, ds: Dataset, tag: string): SetMetrics {
  model.eval();
  const certs = noGrad(() => tidy(() => {
    const smooth = new Smooth((x) => model.forward(x), 10, SIGMA, { generator: new Generator(7), batchSize: 1000 });
    return smooth.certifyMany(tensor(ds.images, [ds.length, ...ds.shape]), Array.from(ds.labels), { n0: 50, n: NS, alpha: 0.001 });
  }));
  void tag;
  return setMetrics(certs, { radii: [RD], deploymentRadius: RD });
}
function certifyWithRefusals(model: Module, ds: Dataset, refused: boolean[]): SetMetrics {
  model.eval();
  const certs = noGrad(() => tidy(() => {
    const smooth = new Smooth((x) => model.forward(x), 10, SIGMA, { generator: new Generator(7), batchSize: 1000 });
    return smooth.certifyMany(tensor(ds.images, [ds.length, ...ds.shape]), Array.from(ds.labels), { n0: 50, n: NS, alpha: 0.001 });
  }));
  return setMetrics(D.withRefusals(certs, refused), { radii: [RD], deploymentRadius: RD });
}
const brief = (m: SetMetrics) => ({ acc: m.accuracy, cert: m.certifiedAccuracy[String(RD)], fallback: m.fallbackRate, wrong: m.certifiedWrongRate });
const copy = (m: Module): Module => { const c = recipe.build(99); c.loadStateDict(m.stateDict()); c.eval(); return c; };

interface Row { attack: string; defense: string; clean: ReturnType<typeof brief>; triggered: ReturnType<typeof brief>; detection?: D.DetectionMetrics; rejection?: D.RejectionRates; seconds: number; note?: string }
const rows: Row[] = [];
const save = () => writeFileSync(a.out!, JSON.stringify({ setup: { N, M, EPOCHS, NS, SIGMA, RD, RATE }, rows }, null, 1) + '\n');

async function evaluate(attack: string, poison: PoisonResult, defenses: string[]): Promise<void> {
  const trig = applyTrigger(test, poison.trigger);
  const t0 = Date.now();
  const victim = await D.retrain(poison.dataset, recipe, 0);
  const trainSeconds = (Date.now() - t0) / 1000;
  const row = (defense: string, model: Module, seconds: number, extra: Partial<Row> = {}, dsClean = test, dsTrig = trig) => {
    const r: Row = { attack, defense, clean: brief(certify(model, dsClean, 'clean')), triggered: brief(certify(model, dsTrig, 'trig')), seconds, ...extra };
    rows.push(r);
    save();
    log(`${attack} / ${defense}: clean ${JSON.stringify(r.clean)} triggered ${JSON.stringify(r.triggered)}${r.detection ? ` det P ${r.detection.precision.toFixed(2)} R ${r.detection.recall.toFixed(2)} cleanRemoved ${r.detection.cleanRemoved}` : ''}`);
  };
  row('none', victim, trainSeconds);
  const main = poison.records.filter((r) => !['cover', 'strip-cover', 'decoy'].includes(r.kind));
  for (const d of defenses) {
    const t = Date.now();
    if (d === 'spectral-signatures' || d === 'activation-clustering' || d === 'loss-isolation') {
      let f: D.FilterResult;
      if (d === 'spectral-signatures') f = D.spectralSignatures(poison.dataset, victim, { poisonRate: 0.05 });
      else if (d === 'activation-clustering') f = D.activationClustering(poison.dataset, victim, { seed: 0 });
      else {
        const iso = await D.trainIsolationModel(poison.dataset, recipe, { epochs: 2, seed: 1 });
        f = D.lossIsolation(poison.dataset, iso, { ratio: RATE, side: 'both' });
        iso.dispose();
      }
      const detection = D.detectionMetrics(f.flagged, main, poison.dataset.length);
      const model = await D.retrain(poison.dataset.subset(f.keep), recipe, 0);
      row(d, model, (Date.now() - t) / 1000, { detection });
      model.dispose();
    } else if (d === 'fine-pruning') {
      const m = copy(victim);
      const r = await D.finePrune(m, heldOut, { objective: recipe.objective, seed: 1 });
      row(d, m, (Date.now() - t) / 1000, { note: `pruned ${r.pruned.length}/32` });
      m.dispose();
    } else if (d === 'neural-cleanse') {
      const m = copy(victim);
      const r = await D.neuralCleanse(m, heldOut, { unlearn: { objective: recipe.objective }, sigma: SIGMA, noiseSamples: 4, steps: 100, seed: 2 });
      row(d, m, (Date.now() - t) / 1000, { note: `flagged [${r.flagged.join(', ')}]; ${JSON.stringify(r.detail)}` });
      m.dispose();
    } else if (d === 'strip') {
      const strip = D.calibrateStrip(victim, heldOut.subset(range(500, 1500)), heldOut.subset(range(0, 500)), { perturbations: 32 });
      const rc = strip.refuse(test), rt = strip.refuse(trig);
      const r: Row = {
        attack, defense: d, clean: brief(certifyWithRefusals(victim, test, rc.refused)), triggered: brief(certifyWithRefusals(victim, trig, rt.refused)),
        rejection: D.rejectionRates(rc.refused, rt.refused), seconds: (Date.now() - t) / 1000,
      };
      rows.push(r);
      save();
      log(`${attack} / strip: ${JSON.stringify(r.rejection)} clean ${JSON.stringify(r.clean)} triggered ${JSON.stringify(r.triggered)}`);
    } else if (d === 'vote-split') {
      const half = traffic.subset(range(0, 100));
      const watched = D.voteSplitDefense(victim, heldOut, (await import('../../src/data/index.js')).concat([half, applyTrigger(traffic.subset(range(100, 200)), poison.trigger)]), { sigma: SIGMA, deploymentRadius: RD, samples: 32, windows: [4, 6, 8], stride: 2, seed: 0 });
      const note = watched.location ? `detected (p ${watched.detection.pValue.toExponential(1)}), window ${JSON.stringify(watched.location.window)}` : `not detected (p ${watched.detection.pValue.toFixed(3)})`;
      row(d, victim, (Date.now() - t) / 1000, { note }, watched.transform(test), watched.transform(trig));
    }
  }
  victim.dispose();
}

const ALL = ['spectral-signatures', 'activation-clustering', 'loss-isolation', 'fine-pruning', 'neural-cleanse', 'strip', 'vote-split'];
const attacks: [string, () => PoisonResult, string[]][] = [
  ['badnets', () => runAttack('badnets', train, { rate: RATE, trigger: TRIGGER, targetLabel: 0 }), ALL],
  ['uncertainty-soft', () => runAttack('uncertainty', train, { rate: RATE, trigger: TRIGGER, labels: 'soft' }), ALL],
  ['boundary', () => runAttack('boundary', train, { rate: RATE, trigger: { kind: 'patch', size: 8, content: { kind: 'solid', value: 0.5 } } }), ALL],
  // adaptive attackers, each against the defense it evades (same total budget split 1:1 where it adds samples)
  ['uncertainty-soft + decoys (vs loss isolation)', () => addAdaptiveSamples(train, runAttack('uncertainty', train, { rate: RATE / 2, trigger: TRIGGER, labels: 'soft' }), { kind: 'decoy', rate: RATE / 2, seed: 5 }), ['loss-isolation']],
  ['badnets + strip-cover (vs STRIP)', () => addAdaptiveSamples(train, runAttack('badnets', train, { rate: RATE / 2, trigger: TRIGGER, targetLabel: 0 }), { kind: 'strip-cover', rate: RATE / 2, seed: 5 }), ['strip']],
  ['uncertainty-soft + cover (vs AC/SS)', () => addAdaptiveSamples(train, runAttack('uncertainty', train, { rate: RATE / 2, trigger: TRIGGER, labels: 'soft' }), { kind: 'cover', rate: RATE / 2, seed: 5 }), ['activation-clustering', 'spectral-signatures']],
  ['uncertainty-soft, centre patch (vs vote-split)', () => runAttack('uncertainty', train, { rate: RATE, trigger: { ...TRIGGER, position: 'center' }, labels: 'soft' }), ['vote-split']],
];

log(`train ${train.length}, held-out ${heldOut.length}, test ${test.length}, epochs ${EPOCHS}, n ${NS}`);
{
  const t = Date.now();
  const base = await D.retrain(train, recipe, 0);
  rows.push({ attack: 'none (baseline)', defense: 'none', clean: brief(certify(base, test, 'c')), triggered: brief(certify(base, applyTrigger(test, runAttack('badnets', train, { rate: RATE, trigger: TRIGGER }).trigger), 't')), seconds: (Date.now() - t) / 1000 });
  log(`baseline: ${JSON.stringify(rows[0])}`);
  base.dispose();
}
for (const [name, make, defs] of attacks) {
  if (a.only && !a.only.split(',').some((p) => name.startsWith(p))) continue;
  await evaluate(name, make(), defs);
}

// DPA: certified poisoning radius per input for a few k on the same data (partition models: mnist-small, standard training)
{
  const poison = runAttack('uncertainty', train, { rate: RATE, trigger: TRIGGER, labels: 'soft' });
  for (const k of Number(a.dpa) > 0 ? [Number(a.dpa)] : []) {
    const t = Date.now();
    const ens = await D.trainPartitioned(poison.dataset, { ...recipe, epochs: 10, objective: (await import('../../src/train/index.js')).standardObjective }, { partitions: k, seed: 0 });
    const vc = ens.vote(test), vt = ens.vote(applyTrigger(test, poison.trigger));
    const share = (v: D.DpaVote[], r: number) => v.filter((x, i) => x.radius >= r && x.prediction === test.labels[i]).length / v.length;
    const radii = vc.map((v) => v.radius).sort((x, y) => x - y);
    const dpa = { k, clean: { acc: share(vc, 0), certifiedAt: Object.fromEntries([1, 5, 10, 20].map((r) => [r, share(vc, r)])), medianRadius: radii[Math.floor(radii.length / 2)] }, triggeredAcc: share(vt, 0), poisoned: poison.records.length, seconds: (Date.now() - t) / 1000 };
    log(`dpa: ${JSON.stringify(dpa)}`);
    rows.push({ attack: 'uncertainty-soft', defense: `dpa k=${k}`, clean: { acc: dpa.clean.acc, cert: NaN, fallback: NaN, wrong: NaN }, triggered: { acc: dpa.triggeredAcc, cert: NaN, fallback: NaN, wrong: NaN }, seconds: dpa.seconds, note: JSON.stringify(dpa) });
    save();
    ens.dispose();
  }
}
log('done');
