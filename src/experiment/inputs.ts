// What a run derives from its config before any stage: the trigger, the evaluated test inputs
// (clean and triggered), and the test inputs a defender holds back (never evaluated). One home
// for each, shared by the stages and the CLI.
import type { ExperimentConfig } from '../config/index.js';
import { DataError, loadSource, permutation, take, type Dataset } from '../data/index.js';
import { applyTrigger, makeTrigger, type TriggerSpec } from '../poison/index.js';
import { Generator } from '../tensor/index.js';
import { deriveSeed } from '../train/loop.js';

/** The trigger spec of the attack config (the same at training and at test time). */
export function triggerSpec(cfg: ExperimentConfig): TriggerSpec {
  const t = cfg.attack.trigger;
  const content =
    t.content === 'solid' ? { kind: 'solid' as const, value: t.value }
    : t.content === 'checkerboard' ? { kind: 'checkerboard' as const, high: t.value, low: 0 }
    : { kind: 'noise' as const, seed: cfg.seed, low: 0, high: t.value };
  return t.kind === 'patch' ? { kind: 'patch', size: t.size, position: t.position, content } : { kind: 'blend', alpha: t.alpha, pattern: content };
}

/** The training split as the config limits it (a stratified sample of trainLimit when set). */
export function trainingSet(cfg: ExperimentConfig): Dataset {
  return loadSource(cfg.data.dataset, {
    split: 'train',
    dataDir: cfg.data.dataDir || undefined,
    limit: cfg.data.trainLimit > 0 ? cfg.data.trainLimit : undefined,
    seed: cfg.data.trainLimit > 0 ? cfg.seed : undefined,
  });
}

/** Training and test images must have one shape and one set of classes (files from two data sets are caught here, not later as a model or trigger problem). */
export function checkSplitsMatch(cfg: ExperimentConfig, train: Dataset, test: Dataset): void {
  const where = cfg.data.dataDir ? ` in ${cfg.data.dataDir}` : '';
  if (train.shape.join() !== test.shape.join()) {
    throw new DataError(
      `${cfg.data.dataset}: the training images are [${train.shape.join(', ')}] but the test images are [${test.shape.join(', ')}]; the train and test files${where} must come from one data set`,
    );
  }
  if (train.numClasses !== test.numClasses) {
    throw new DataError(`${cfg.data.dataset}: the training set has ${train.numClasses} classes but the test set ${test.numClasses}; the train and test files${where} must come from one data set`);
  }
}

/**
 * The evaluated test inputs: the first `eval.testInputs` of a seeded stratified sample of the
 * test split (each keeps its index in the split: Dataset.originIndex), clean and triggered.
 */
export function evalInputs(cfg: ExperimentConfig): { clean: Dataset; triggered: Dataset } {
  const clean = cleanEvalInputs(cfg);
  return { clean, triggered: withTrigger(cfg, clean) };
}

/** The test split as the config limits it. */
const testSplit = (cfg: ExperimentConfig): Dataset =>
  loadSource(cfg.data.dataset, { split: 'test', dataDir: cfg.data.dataDir || undefined, limit: cfg.data.testLimit > 0 ? cfg.data.testLimit : undefined });

/** The evaluated test inputs without the trigger. */
export function cleanEvalInputs(cfg: ExperimentConfig, testSet: Dataset = testSplit(cfg)): Dataset {
  const n = cfg.eval.testInputs > 0 ? Math.min(cfg.eval.testInputs, testSet.length) : testSet.length;
  return n < testSet.length ? take(testSet, n, cfg.seed) : testSet;
}

/**
 * The test inputs a defender may hold: the test split without the evaluated inputs, in a seeded
 * order (each keeps its index in the split). The first defense.cleanSamples are the defender's
 * clean data; the ones after them are the traffic a test-time defense watches.
 */
export function heldOutTestInputs(cfg: ExperimentConfig): Dataset {
  const testSet = testSplit(cfg);
  const evaluated = new Set<number>();
  const clean = cleanEvalInputs(cfg, testSet);
  for (let i = 0; i < clean.length; i++) evaluated.add(clean.originIndex(i));
  const rest: number[] = [];
  for (let i = 0; i < testSet.length; i++) if (!evaluated.has(testSet.originIndex(i))) rest.push(i);
  const order = permutation(rest.length, new Generator(deriveSeed(cfg.seed, 'defender')));
  return testSet.subset(Int32Array.from(order, (j) => rest[j]), `${testSet.name} (held out)`);
}

/** The part [start, start + count) of the held-out inputs, or one line saying why there are not enough. */
export function heldOutPart(cfg: ExperimentConfig, pool: Dataset, start: number, count: number, what: string): Dataset {
  if (start + count > pool.length) {
    const limit = cfg.data.testLimit > 0 ? ` (data.testLimit ${cfg.data.testLimit})` : '';
    throw new DataError(
      `${what} needs ${count} held-out test inputs${start ? ` after the ${start} clean samples` : ''}, but the test split${limit} has only ${pool.length} besides the ${cfg.eval.testInputs || 'all'} evaluated ones; ` +
        'lower defense.cleanSamples (--clean-samples) or eval.testInputs, or raise data.testLimit',
    );
  }
  return pool.subset(Int32Array.from({ length: count }, (_, i) => start + i));
}

/** The inputs with the config's trigger applied. */
export const withTrigger = (cfg: ExperimentConfig, clean: Dataset): Dataset => applyTrigger(clean, makeTrigger(triggerSpec(cfg), clean.shape));
