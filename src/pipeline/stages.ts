// What the stages of an experiment derive from its config: the trigger and attack options, the
// evaluated test inputs, the radii of the curves, and the hash that says whether a stage's
// artefact is up to date. One home for each, shared by the runner, the CLI and reproduce.
import { canonicalJson, configHash, type CertifierName, type ExperimentConfig } from '../config/index.js';
import { loadSource, take, type Dataset } from '../data/index.js';
import type { TriggerSpec } from '../poison/index.js';

/** The trigger spec of the attack config (the same at training and at test time). */
export function triggerSpec(cfg: ExperimentConfig): TriggerSpec {
  const t = cfg.attack.trigger;
  const content =
    t.content === 'solid' ? { kind: 'solid' as const, value: t.value }
    : t.content === 'checkerboard' ? { kind: 'checkerboard' as const, high: t.value, low: 0 }
    : { kind: 'noise' as const, seed: cfg.seed, low: 0, high: t.value };
  return t.kind === 'patch' ? { kind: 'patch', size: t.size, position: t.position, content } : { kind: 'blend', alpha: t.alpha, pattern: content };
}

/** Attack options from the config, for runAttack. */
export function attackOptions(cfg: ExperimentConfig): Record<string, unknown> & { rate: number; trigger: TriggerSpec } {
  const a = cfg.attack;
  return {
    rate: a.rate,
    mode: a.mode,
    trigger: triggerSpec(cfg),
    seed: cfg.seed,
    labels: a.labels,
    targetLabel: a.targetLabel,
    direction: a.boundary.direction,
    scale: a.boundary.scale,
    otherLabel: a.boundary.otherLabel,
    deploymentRadius: cfg.eval.deploymentRadius,
  };
}

/** The evaluated test inputs: the first `eval.testInputs` of a seeded stratified sample of the test split. */
export function evalInputs(cfg: ExperimentConfig): Dataset {
  const testSet = loadSource(cfg.data.dataset, { split: 'test', dataDir: cfg.data.dataDir || undefined, limit: cfg.data.testLimit > 0 ? cfg.data.testLimit : undefined });
  const n = cfg.eval.testInputs > 0 ? Math.min(cfg.eval.testInputs, testSet.length) : testSet.length;
  return n < testSet.length ? take(testSet, n, cfg.seed) : testSet;
}

/** The sets a run certifies: the poisoned model on clean and triggered inputs, the baseline likewise. */
export type EvalSetName = 'clean' | 'trigger' | 'baseline' | 'baseline-trigger';

/**
 * The hash stages.json records for a stage. The baseline model ignores the attack, but its
 * triggered inputs still carry the trigger.
 */
export function stageHash(cfg: ExperimentConfig, stage: 'poison' | 'train' | 'baseline' | { certify: EvalSetName }): string {
  if (typeof stage === 'string') return configHash(cfg, stage);
  switch (stage.certify) {
    case 'baseline':
      return configHash(cfg, ['baseline', 'certify']);
    case 'baseline-trigger':
      return `${configHash(cfg, ['baseline', 'certify'])}:${canonicalJson(triggerSpec(cfg))}`;
    default:
      return configHash(cfg, 'certify');
  }
}

/** Radii of the certified-accuracy curve: the configured L2 radii for smoothing; 0 and epsilon for bound-based certifiers. */
export function radiiFor(cfg: ExperimentConfig, kind: CertifierName): number[] {
  if (kind === 'smoothing') return [...new Set([...cfg.eval.radii, cfg.eval.deploymentRadius])].sort((a, b) => a - b);
  return [0, cfg.certify[kind].epsilon];
}
