// The stage table with defenses: which stages a defended config makes and what they read; and a
// defense-free config's stages, fields and hashes exactly as before the defenses were wired (the
// hashes below were computed by the stage table of main b04f791), so finished runs stay up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Overrides } from '../../src/config/index.js';
import { StageLog, stageHash, stagesFor } from '../../src/experiment/index.js';
import { defensePlan } from '../../src/experiment/defense-plan.js';

const emptyLog = () => new StageLog(mkdtempSync(join(tmpdir(), 'abstain-stages-')));
const hashes = (o: Overrides) => {
  const cfg = loadConfig({}, o);
  const log = emptyLog();
  return stagesFor(cfg).map((s) => [s.name, stageHash(cfg, s, log, 'cpu')]);
};

// [config overrides, the stages of main b04f791 with their hashes (no stage recorded yet, CPU)]
const BEFORE: [Overrides, [string, string][]][] = [
  [{}, [
    ['poison', '00d73fc63d61e1b3d58992a7792d712c13df685866ee605667ca34c98166c878'],
    ['train', '77a808008dedc4088baa5bb7d8fe804577fcc7d65405784319adf8e8c5c7a392'],
    ['baseline', '2ebb683099ac7b330803cfbd1ccd9a4b57c19f907336224d6a9f2f9f25281996'],
    ['certify-smoothing-clean', 'b8b9f3134aed1805b6c7aff12ce3a3ce092c0e95c076935187fc370dc54cf5d6'],
    ['certify-smoothing-trigger', 'e7c729019b6a516657f4e98a6d8aa06e6cc7241088d10e83e63df2d662f98b40'],
    ['certify-smoothing-baseline', '10b5d0717304a2a6943fc28652440db8cb1e928930bc8a28d9bb9e0e87fcdf07'],
    ['certify-smoothing-baseline-trigger', 'ff7e92a71323dd8abe799590639d6efc5546847d2907e0c58764bc6480ad51be'],
    ['report', 'a9c632f23b0d0601a37c755856aa54b9b08dd794e74187bb3ab90283f7228846'],
  ]],
  [{ 'attack.kind': 'boundary', 'attack.boundary.direction': 'gradient', baseline: false, 'certify.kinds': ['smoothing', 'ibp', 'crown'] }, [
    ['surrogate', '22b25efd354bbd50bed5cf441080021538f0bb001618c912ccd27b917a684e19'],
    ['poison', '27aba96f316087ab91e10c4efb6898b35ae42df6698046b474adb42b9d1d55b5'],
    ['train', '77a808008dedc4088baa5bb7d8fe804577fcc7d65405784319adf8e8c5c7a392'],
    ['certify-smoothing-clean', 'b8b9f3134aed1805b6c7aff12ce3a3ce092c0e95c076935187fc370dc54cf5d6'],
    ['certify-smoothing-trigger', 'e7c729019b6a516657f4e98a6d8aa06e6cc7241088d10e83e63df2d662f98b40'],
    ['certify-ibp-clean', 'f87861d60b7d29a6254d81dbd12ddd377dcf09ce71c5ad5d5970a571f048f234'],
    ['certify-ibp-trigger', '8edc80e79a6b11fda19bdd64909029a6116acc0f4246a852d6fd9556acb96457'],
    ['certify-crown-clean', '64915a370f76db3637adc0b7cb2dadb9a4e2d8f7ca92c00cb8e4f950255f8224'],
    ['certify-crown-trigger', 'c88ad088c2008ea41ceee02685be5385b6045c7e70f7bc7209f9b6a0d40b8e43'],
    ['report', 'c627e8d67defbf879454cf2f2861e41758c94c2f43908c31b8c590fe85906aee'],
  ]],
  [{ 'attack.kind': 'badnets', 'data.dataset': 'synthetic', 'model.architecture': 'mlp', 'train.objective': 'ibp' }, [
    ['poison', '6cd33d6c89eb13ce27a5e497f263318a6d7152f5f26c180eabbaebc2b175229d'],
    ['train', '9369ee386f0493dd2ad98d85c38d66fadca1d3f9ba7cdcb1757cf0b0d7987114'],
    ['baseline', 'f13c252181b355691be976eb7202c8907bcb7341a118de138ca1e650850a38d5'],
    ['certify-smoothing-clean', '0ada316069e84c7812a5716d7634928e6f0f0402fc941873e996f571a279cf8a'],
    ['certify-smoothing-trigger', '0eaa30cdfba1964fa6a8e5382d4ce68d0dd07b0358f8de6bba032f33640bccc5'],
    ['certify-smoothing-baseline', '63cd9f71222dca417901d5bfb3fb86104432574df332473a7a6989a2513e59f9'],
    ['certify-smoothing-baseline-trigger', 'c35265e9e96ecd3716e40b133029c3bed1692b05657293e5cd0af91959f2ddaa'],
    ['report', 'a9c632f23b0d0601a37c755856aa54b9b08dd794e74187bb3ab90283f7228846'],
  ]],
];

test('a defense-free config has the stages and hashes it had before the defenses were wired, whatever the defense options say', () => {
  for (const [o, expected] of BEFORE) {
    assert.deepEqual(hashes(o), expected, `stages of ${JSON.stringify(o)} (update BEFORE only if a change to the stage table or the config's defaults is meant to rerun finished runs)`);
    // the defense section and an adaptive attacker that is off reach no stage of a run without defenses
    const unused = { ...o, 'defense.cleanSamples': 77, 'defense.strip.perturbations': 3, 'defense.dpa.partitions': 9, 'attack.adaptive.rate': 0.2 };
    assert.deepEqual(hashes(unused), expected, JSON.stringify(unused));
  }
  // an adaptive attacker changes the poison, and so everything trained on it
  const adaptive = Object.fromEntries(hashes({ 'attack.adaptive.kind': 'cover' }));
  const plain = Object.fromEntries(BEFORE[0][1]);
  assert.notEqual(adaptive.poison, plain.poison);
  assert.equal(adaptive.baseline, plain.baseline, 'the unpoisoned baseline does not depend on the attack');
});

const ALL = ['spectral-signatures', 'loss-isolation', 'dpa', 'fine-pruning', 'neural-cleanse', 'strip', 'vote-split'];

test('a defended config: a stage per defense where it acts, the defended model, the defended sets, and what each reads', () => {
  const cfg = loadConfig({}, { 'defense.kinds': ALL, 'certify.kinds': ['smoothing', 'ibp'], baseline: false });
  const stages = stagesFor(cfg);
  const by = Object.fromEntries(stages.map((s) => [s.name, s]));
  assert.deepEqual(stages.map((s) => s.name), [
    'poison', 'train',
    'defend-spectral-signatures', 'defend-loss-isolation', 'defended', 'defend-dpa', 'defend-strip', 'defend-vote-split',
    'certify-smoothing-clean', 'certify-smoothing-trigger', 'certify-ibp-clean', 'certify-ibp-trigger',
    'certify-smoothing-defended', 'certify-smoothing-defended-trigger', 'certify-ibp-defended', 'certify-ibp-defended-trigger',
    'report',
  ]);
  assert.deepEqual(by['defend-spectral-signatures'].inputs, ['poison', 'train']);
  assert.deepEqual(by['defend-spectral-signatures'].artefacts, ['defense-spectral-signatures.json']);
  // retrained without the flagged samples (so it reads the filters, not the victim), then repaired
  assert.deepEqual(by.defended.inputs, ['poison', 'defend-spectral-signatures', 'defend-loss-isolation']);
  assert.deepEqual(by.defended.artefacts, ['defended.safetensors', 'defended.json']);
  assert.ok(by.defended.fields.includes('defense.fine-pruning') && by.defended.fields.includes('defense.neural-cleanse') && by.defended.fields.includes('defense.cleanSamples'));
  assert.deepEqual(by['defend-dpa'].inputs, ['poison']);
  assert.deepEqual(by['defend-strip'].inputs, ['defended']);
  assert.deepEqual(by['defend-strip'].artefacts, ['refused-strip.json']);
  assert.deepEqual(by['defend-vote-split'].artefacts, ['defense-vote-split.json']);
  assert.ok(by['defend-vote-split'].fields.includes('attack.trigger'), 'its traffic carries the trigger');
  // the defended sets: the defended model on inputs through the transform (vote-split); STRIP's refusals are applied by the report
  assert.deepEqual(by['certify-smoothing-defended'].inputs, ['defended', 'defend-vote-split']);
  for (const s of ['defend-spectral-signatures', 'defended', 'defend-dpa', 'defend-strip', 'defend-vote-split', 'certify-ibp-defended-trigger']) assert.ok(by.report.inputs.includes(s), s);
  assert.ok(!by.report.inputs.includes('train'));

  // Input refusal alone: no defended model and no new certification (the same certificates, refusals counted as fallbacks).
  const strip = stagesFor(loadConfig({}, { 'defense.kinds': ['strip'] })).map((s) => s.name);
  assert.ok(strip.includes('defend-strip') && !strip.includes('defended') && !strip.some((n) => n.includes('-defended')));
  const s2 = stagesFor(loadConfig({}, { 'defense.kinds': ['strip'] })).find((s) => s.name === 'defend-strip')!;
  assert.deepEqual(s2.inputs, ['train']);
  // DPA alone is its own system: no defended sets
  assert.deepEqual(stagesFor(loadConfig({}, { 'defense.kinds': ['dpa'], baseline: false })).map((s) => s.name), ['poison', 'train', 'defend-dpa', 'certify-smoothing-clean', 'certify-smoothing-trigger', 'report']);
});

test('defense stages depend on what they read: the repairs\' order, their options, not on other defenses\' options', () => {
  const hashOf = (o: Overrides, name: string) => Object.fromEntries(hashes({ baseline: false, ...o }))[name];
  const ab = hashOf({ 'defense.kinds': ['fine-pruning', 'neural-cleanse'] }, 'defended');
  assert.notEqual(ab, hashOf({ 'defense.kinds': ['neural-cleanse', 'fine-pruning'] }, 'defended'), 'the order of the repairs');
  assert.equal(ab, hashOf({ 'defense.kinds': ['fine-pruning', 'neural-cleanse', 'strip'] }, 'defended'), 'adding an input defense leaves the defended model');
  assert.equal(ab, hashOf({ 'defense.kinds': ['fine-pruning', 'neural-cleanse'], 'defense.strip.perturbations': 5 }, 'defended'));
  assert.notEqual(ab, hashOf({ 'defense.kinds': ['fine-pruning', 'neural-cleanse'], 'defense.fine-pruning.lr': 0.01 }, 'defended'));
  assert.notEqual(ab, hashOf({ 'defense.kinds': ['fine-pruning', 'neural-cleanse'], 'certify.smoothing.sigma': 0.5 }, 'defended'), 'neural cleanse reads the smoothing σ');
  assert.equal(
    hashOf({ 'defense.kinds': ['fine-pruning'] }, 'defended'),
    hashOf({ 'defense.kinds': ['fine-pruning'], 'certify.smoothing.sigma': 0.5, 'train.gaussian.sigma': 0.25 }, 'defended'),
    'fine-pruning does not read the certifier',
  );
  const filter = hashOf({ 'defense.kinds': ['spectral-signatures'] }, 'defend-spectral-signatures');
  assert.equal(filter, hashOf({ 'defense.kinds': ['spectral-signatures'], 'defense.cleanSamples': 5 }, 'defend-spectral-signatures'), 'a training-set filter reads no held-out data');
  assert.notEqual(filter, hashOf({ 'defense.kinds': ['spectral-signatures'], 'defense.spectral-signatures.poisonRate': 0.05 }, 'defend-spectral-signatures'));
});

test('a defense that cannot run with the config is one line before anything runs', () => {
  const cfg = loadConfig({}, { 'defense.kinds': ['vote-split'], 'certify.kinds': ['ibp'] });
  assert.throws(() => defensePlan(cfg), (e: Error) => e.name === 'DefenseError' && /vote-split reads the votes of randomized smoothing.*--certifier ibp,smoothing/.test(e.message));
  assert.throws(() => stagesFor(cfg), { name: 'DefenseError' });
  assert.throws(() => loadConfig({}, { 'defense.kinds': ['bogus'] }), /defense\.kinds/);
});

test('a later attack kind (orthant): its options enter the poison hash only when it is the attack', () => {
  const poisonHash = (o: Overrides) => Object.fromEntries(hashes(o)).poison;
  // another attack's runs do not see the orthant options
  assert.equal(poisonHash({ 'attack.kind': 'uncertainty' }), poisonHash({ 'attack.kind': 'uncertainty', 'attack.orthant.directions': 2 }));
  // the orthant attack's do
  assert.notEqual(poisonHash({ 'attack.kind': 'orthant' }), poisonHash({ 'attack.kind': 'orthant', 'attack.orthant.directions': 2 }));
  assert.notEqual(poisonHash({ 'attack.kind': 'orthant' }), poisonHash({ 'attack.kind': 'uncertainty' }));
});
