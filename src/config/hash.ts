// Which config fields each stage's artefact depends on, and a hash of them: a stage whose stored
// hash equals configHash(cfg, stage) is up to date and can be skipped on --resume.
import { createHash } from 'node:crypto';
import type { ExperimentConfig } from './schema.js';

export type Stage = 'poison' | 'train' | 'baseline' | 'certify' | 'report';

// Cumulative: a stage depends on everything its inputs depend on. `baseline` is the unpoisoned
// model, so it depends on the training fields but not on the attack.
const STAGE_FIELDS: Record<Stage, string[]> = {
  poison: ['seed', 'data', 'attack'],
  train: ['seed', 'data', 'attack', 'model', 'train'],
  baseline: ['seed', 'data', 'model', 'train'],
  certify: ['seed', 'data', 'attack', 'model', 'train', 'certify', 'eval.testInputs'],
  report: ['seed', 'data', 'attack', 'model', 'train', 'certify', 'eval', 'fallback', 'baseline'],
};

export const stageFields = (stage: Stage): readonly string[] => STAGE_FIELDS[stage];

/** A hex SHA-256 of the config fields the given stages depend on (key order does not matter). */
export function configHash(cfg: ExperimentConfig, stages: Stage | Stage[]): string {
  const paths = [...new Set((Array.isArray(stages) ? stages : [stages]).flatMap((s) => STAGE_FIELDS[s]))].sort();
  const picked: Record<string, unknown> = {};
  for (const path of paths) {
    picked[path] = path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], cfg);
  }
  return createHash('sha256').update(canonicalJson(picked)).digest('hex');
}

/** JSON with object keys sorted at every depth, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
