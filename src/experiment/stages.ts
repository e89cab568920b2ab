// The stage table: every stage of a run, declared once — its name, the config fields its
// artefacts depend on, the stages it reads, its artefacts, and its run function. The runner
// walks it, the CLI's commands pick their targets from it, and `reproduce` reuses stages across
// cells by their hashes. A stage's hash covers its fields and its inputs' records (hash and
// artefact digests), so a changed config, or an artefact replaced by another model, reruns
// everything downstream and nothing else.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ATTACKS, DEFENSES } from '../catalog/index.js';
import { attackKindOptions, canonicalJson, pickFields, type ExperimentConfig } from '../config/index.js';
import { saveModel } from '../nn/index.js';
import type { Device } from '../tensor/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { writePoisonJson } from '../poison/index.js';
import type { StageLog } from './run-folder.js';
import type { RunContext } from './context.js';
import { certifySet } from './certify-set.js';
import { trainVictim } from './victim.js';
import { writeRunReport } from './report-stage.js';
import { defenseFile, defensePlan, defenseStage } from './defense-plan.js';
import { defendedInputs, runDataFilter, runDefended, runInputDefense, runTrainingDefense } from './defense-stages.js';

export interface StageRunOptions {
  /** This instance's hash (names checkpoint folders and partial files). */
  hash: string;
}

/** One stage of one run (a table row can make several: one per certifier and evaluated set). */
export interface Stage {
  /** Unique within the run: poison, train, certify-smoothing-clean. */
  name: string;
  /** The table row it comes from. */
  row: string;
  /** Config fields (dotted paths; a path covers its whole subtree) its artefacts depend on. */
  fields: string[];
  /** Anything else its artefacts depend on that no field path says (e.g. the order of the repairs), hashed with the fields. */
  key?: unknown;
  /** Stages whose artefacts it reads. */
  inputs: string[];
  /** Its artefacts, relative to the run folder. */
  artefacts: string[];
  /** Runs every time (cheap, and not recorded): the report. */
  always?: boolean;
  /** Its artefacts depend on the kind of device it computes on (training, and noise drawn by a device's generator). */
  onDevice?: boolean;
  run(ctx: RunContext, o: StageRunOptions): Promise<void>;
}

export interface StageRow {
  name: string;
  /** What the stage does (docs/cli.md). */
  description: string;
  /** The stages this row makes for a config (none when it does not apply). */
  stages(cfg: ExperimentConfig): Stage[];
}

/** The evaluated sets: which model certifies which inputs. */
export const EVAL_SETS = [
  { name: 'clean', model: 'train', triggered: false },
  { name: 'trigger', model: 'train', triggered: true },
  { name: 'baseline', model: 'baseline', triggered: false },
  { name: 'baseline-trigger', model: 'baseline', triggered: true },
] as const;
/** With defenses: the same inputs through the defended system (its model, its input transforms). */
export const DEFENDED_SETS = [
  { name: 'defended', triggered: false },
  { name: 'defended-trigger', triggered: true },
] as const;
export type EvalSetName = (typeof EVAL_SETS)[number]['name'] | (typeof DEFENDED_SETS)[number]['name'];

/** The artefact file of each model-producing stage. */
export const MODEL_FILES = { surrogate: 'surrogate.safetensors', train: 'model.safetensors', baseline: 'baseline.safetensors', defended: 'defended.safetensors' } as const;

export const certsFile = (set: string, kind: string) => `certs-${set}-${kind}.jsonl`;
export const certifyStage = (kind: string, set: string) => `certify-${kind}-${set}`;

/** The surrogate model an attack asks for, if any. */
const surrogateOf = (cfg: ExperimentConfig) => ATTACKS.get(cfg.attack.kind).surrogate?.(attackKindOptions(cfg) as never);

/**
 * Trains a model the way the victim trains (or as the surrogate asks), with checkpoints keyed by
 * the stage hash; saves it as the stage's model file, except the defended model, whose stage
 * repairs it first and saves it itself.
 */
export async function trainStage(ctx: RunContext, stage: 'surrogate' | 'train' | 'baseline' | 'defended', o: StageRunOptions, defendedData?: Dataset): Promise<Module> {
  const cfg = ctx.cfg;
  const data = ctx.data();
  const trainData = stage === 'train' ? (await ctx.poison()).dataset : stage === 'defended' ? defendedData! : data.train;
  // A checkpoint belongs to one stage hash: its folder is named by it, and folders of older
  // hashes of the same stage are removed, so a changed config never resumes stale state.
  const root = ctx.path('checkpoints');
  const ckpt = join(root, `${stage}-${o.hash.slice(0, 12)}`);
  if (existsSync(root)) for (const d of readdirSync(root)) if (d.startsWith(`${stage}-`) && join(root, d) !== ckpt) rmSync(join(root, d), { recursive: true, force: true });
  if (!ctx.resume) rmSync(ckpt, { recursive: true, force: true });
  const model = ctx.buildModel();
  const surrogate = stage === 'surrogate' ? surrogateOf(cfg) : undefined;
  const label = { surrogate: 'train (surrogate)', train: 'train (poisoned)', baseline: 'train (baseline)', defended: 'train (defended)' }[stage];
  const history = await trainVictim(cfg, model, trainData, data.clean, {
    checkpointDir: ckpt, resume: ctx.resume, progress: ctx.io.progress, log: ctx.io.log, label,
    ...(surrogate ? { objective: surrogate.objective, epochs: surrogate.epochs } : {}),
  });
  if (stage === 'defended') return model;
  saveModel(ctx.path(MODEL_FILES[stage]), model, {
    architecture: cfg.model.architecture,
    objective: surrogate ? surrogate.objective : cfg.train.objective,
    seed: String(cfg.seed),
    history: JSON.stringify(history),
  });
  ctx.setModel(stage, model);
  return model;
}

/** The config fields a defense stage depends on: the run's data and victim, the defense's options, and what else it reads (catalog `uses`). */
function defenseFields(kind: string): string[] {
  const u = DEFENSES.get(kind).uses;
  return [
    'seed', 'data', 'model', 'train', `defense.${kind}`,
    // the defender's held-out test images are drawn from the test split without the evaluated inputs
    ...(u.clean || u.traffic ? ['defense.cleanSamples', 'eval.testInputs'] : []),
    ...(u.traffic ? ['attack.trigger'] : []),
  ];
}

/** What a defense reads of the smoothing certifier (its σ and r_d, or that there is none), when it reads it. */
function smoothingKey(cfg: ExperimentConfig, kinds: string[]): unknown {
  if (!kinds.some((k) => DEFENSES.get(k).uses.smoothing)) return undefined;
  return { smoothing: cfg.certify.kinds.includes('smoothing') ? { sigma: cfg.certify.smoothing.sigma, deploymentRadius: cfg.eval.deploymentRadius } : null };
}

const one = (s: Omit<Stage, 'row'> & { row?: string }): Stage[] => [{ row: s.name, ...s }];

export const STAGES: StageRow[] = [
  {
    name: 'surrogate',
    description: "the attacker's surrogate model, for attacks that need one (standard training on the clean set): surrogate.safetensors",
    stages: (cfg) =>
      surrogateOf(cfg)
        ? one({
            name: 'surrogate',
            fields: ['seed', 'data', 'model', 'train.batchSize', 'train.optimizer', 'attack.kind', `attack.${cfg.attack.kind}`],
            inputs: [],
            artefacts: [MODEL_FILES.surrogate],
            onDevice: true,
            run: async (ctx, o) => void (await trainStage(ctx, 'surrogate', o)),
          })
        : [],
  },
  {
    name: 'poison',
    description: 'the attack on the training set: poison.json (every poisoned sample under "indices")',
    stages: (cfg) =>
      one({
        name: 'poison',
        fields: ['seed', 'data', 'attack', 'eval.deploymentRadius'],
        inputs: surrogateOf(cfg) ? ['surrogate'] : [],
        artefacts: ['poison.json'],
        async run(ctx) {
          const p = await ctx.poison();
          writePoisonJson(ctx.path('poison.json'), p, cfg.attack);
          const s = p.summary;
          ctx.io.log(`poison: ${s.attack} made ${s.count} poisoned samples from ${s.sources} sources (${s.mode}, rate ${s.rate}); ${s.size} training samples`);
        },
      }),
  },
  {
    name: 'train',
    description: 'the victim, trained on the poisoned set: model.safetensors (checkpoints/ while it trains)',
    stages: () => one({ name: 'train', fields: ['seed', 'data', 'model', 'train'], inputs: ['poison'], artefacts: [MODEL_FILES.train], onDevice: true, run: async (ctx, o) => void (await trainStage(ctx, 'train', o)) }),
  },
  {
    name: 'baseline',
    description: 'an unpoisoned model trained the same way: baseline.safetensors',
    stages: (cfg) =>
      cfg.baseline ? one({ name: 'baseline', fields: ['seed', 'data', 'model', 'train'], inputs: [], artefacts: [MODEL_FILES.baseline], onDevice: true, run: async (ctx, o) => void (await trainStage(ctx, 'baseline', o)) }) : [],
  },
  {
    name: 'defend-data',
    description: 'each training-set filter (activation clustering, spectral signatures, loss isolation) on the poisoned set, looking at the victim: defense-<defense>.json (flagged samples, precision and recall against poison.json)',
    stages: (cfg) =>
      defensePlan(cfg).data.map((kind) => ({
        name: defenseStage(kind),
        row: 'defend-data',
        fields: defenseFields(kind),
        inputs: ['poison', 'train'],
        artefacts: [defenseFile(kind)],
        onDevice: true,
        run: (ctx: RunContext) => runDataFilter(ctx, kind),
      })),
  },
  {
    name: 'defended',
    description: 'the defended model: the victim trained again without every flagged sample (or a copy of it), then each model repair in order: defended.safetensors, defended.json',
    stages: (cfg) => {
      const plan = defensePlan(cfg);
      if (plan.defendedModel !== 'defended') return [];
      return one({
        name: 'defended',
        fields: ['seed', 'data', 'model', 'train', ...plan.model.flatMap((k) => defenseFields(k))],
        // the repairs' order matters; the smoothing σ matters to neural cleanse's availability goal
        key: { repairs: plan.model, ...(smoothingKey(cfg, plan.model) as object | undefined) },
        inputs: plan.data.length ? ['poison', ...plan.data.map(defenseStage)] : ['train'],
        artefacts: [MODEL_FILES.defended, 'defended.json'],
        onDevice: true,
        run: (ctx, o) => runDefended(ctx, plan, o),
      });
    },
  },
  {
    name: 'defend-training',
    description: 'each training defense (DPA): its ensemble trained on the poisoned set, its votes and certified poisoning radii on the evaluated inputs: defense-<defense>.json',
    stages: (cfg) =>
      defensePlan(cfg).training.map((kind) => ({
        name: defenseStage(kind),
        row: 'defend-training',
        fields: [...defenseFields(kind), 'eval.testInputs', 'attack.trigger'],
        inputs: ['poison'],
        artefacts: [defenseFile(kind)],
        onDevice: true,
        run: (ctx: RunContext) => runTrainingDefense(ctx, kind),
      })),
  },
  {
    name: 'defend-input',
    description: 'each input defense, set up on the defended model (else the victim): refusals of the evaluated inputs (refused-<defense>.json, STRIP) or a transform\'s parameters (defense-<defense>.json, vote-split)',
    stages: (cfg) => {
      const plan = defensePlan(cfg);
      return [...plan.refuse, ...plan.transform].map((kind) => ({
        name: defenseStage(kind),
        row: 'defend-input',
        fields: [...defenseFields(kind), 'eval.testInputs', 'attack.trigger'],
        ...(smoothingKey(cfg, [kind]) !== undefined ? { key: smoothingKey(cfg, [kind]) } : {}),
        inputs: [plan.defendedModel],
        artefacts: [defenseFile(kind)],
        onDevice: true,
        run: (ctx: RunContext) => runInputDefense(ctx, kind, plan),
      }));
    },
  },
  {
    name: 'certify',
    description: 'every certifier on every evaluated set (clean and triggered inputs; poisoned and baseline model): certs-<set>-<certifier>.jsonl',
    stages: (cfg): Stage[] =>
      cfg.certify.kinds.flatMap((kind): Stage[] =>
        EVAL_SETS.filter((s) => cfg.baseline || s.model !== 'baseline').map((set) => ({
          name: certifyStage(kind, set.name),
          row: 'certify',
          // the inputs (seed, data, eval.testInputs), the trigger on triggered ones, the certifier's options
          fields: ['seed', 'data', 'eval.testInputs', `certify.${kind}`, ...(set.triggered ? ['attack.trigger'] : [])],
          inputs: [set.model],
          artefacts: [certsFile(set.name, kind)],
          onDevice: true,
          async run(ctx: RunContext, o: StageRunOptions) {
            const d = ctx.data();
            const model = ctx.model(set.model, MODEL_FILES[set.model]);
            const certs = await certifySet(ctx.cfg, kind, { name: set.name, model, data: set.triggered ? d.triggered : d.clean }, {
              file: ctx.path(certsFile(set.name, kind)), hash: o.hash, resume: ctx.resume, progress: ctx.io.progress, log: ctx.io.log,
            });
            ctx.setCertificates(certifyStage(kind, set.name), certs);
          },
        })),
      ).concat(defendedCertifyStages(cfg)),
  },
  {
    name: 'report',
    description: 'metrics per certifier, summary.json, plots/ and report.html',
    stages: (cfg) =>
      one({
        name: 'report',
        fields: [],
        inputs: STAGES.filter((r) => r.name === 'certify' || r.name.startsWith('defend')).flatMap((r) => r.stages(cfg)).map((s) => s.name),
        artefacts: ['summary.json', 'report.html'],
        always: true,
        run: (ctx) => writeRunReport(ctx),
      }),
  },
];

/**
 * With defenses that change the model or the inputs: every certifier on the defended sets (the
 * clean and triggered inputs through the defended model and the input transforms).
 */
function defendedCertifyStages(cfg: ExperimentConfig): Stage[] {
  const plan = defensePlan(cfg);
  if (!plan.certifyDefended) return [];
  return cfg.certify.kinds.flatMap((kind) =>
    DEFENDED_SETS.map((set) => ({
      name: certifyStage(kind, set.name),
      row: 'certify',
      fields: ['seed', 'data', 'eval.testInputs', `certify.${kind}`, ...(set.triggered ? ['attack.trigger'] : [])],
      inputs: [plan.defendedModel, ...plan.transform.map(defenseStage)],
      artefacts: [certsFile(set.name, kind)],
      onDevice: true,
      async run(ctx: RunContext, o: StageRunOptions) {
        const d = ctx.data();
        const model = ctx.model(plan.defendedModel, MODEL_FILES[plan.defendedModel]);
        const data = await defendedInputs(ctx, plan, set.triggered ? d.triggered : d.clean);
        const certs = await certifySet(ctx.cfg, kind, { name: set.name, model, data }, {
          file: ctx.path(certsFile(set.name, kind)), hash: o.hash, resume: ctx.resume, progress: ctx.io.progress, log: ctx.io.log,
        });
        ctx.setCertificates(certifyStage(kind, set.name), certs);
      },
    })),
  );
}

/** The stages of a run, in the order they run. */
export function stagesFor(cfg: ExperimentConfig): Stage[] {
  return STAGES.flatMap((r) => r.stages(cfg));
}

/** A stage's hash: its config fields and its inputs' records (hash and artefact digests). */
export function stageHash(cfg: ExperimentConfig, stage: Stage, log: StageLog, device: Device): string {
  const inputs = Object.fromEntries(stage.inputs.map((i) => [i, log.get(i) ?? null]));
  // CPU and CUDA generators draw different streams: a stage on another kind of device is another result
  const on = stage.onDevice ? { device: device.split(':')[0] } : {};
  const key = stage.key !== undefined ? { key: stage.key } : {};
  return createHash('sha256').update(canonicalJson({ stage: stage.name, fields: pickFields(hashView(cfg), stage.fields), inputs, ...on, ...key })).digest('hex');
}

/** Attack kinds whose option sections were in every poison hash before later kinds were added. */
const HASHED_ATTACK_SECTIONS = new Set(['badnets', 'uncertainty', 'boundary']);

/**
 * The config as stage hashes see it: optional features that are off are left out, so adding one
 * to the schema leaves the hashes of existing runs (and their up-to-date stages) unchanged. The
 * same holds for attack kinds added later (orthant): their option section enters the poison
 * hash only when the kind is chosen.
 */
function hashView(cfg: ExperimentConfig): ExperimentConfig {
  const attack: Record<string, unknown> = { ...cfg.attack };
  if (cfg.attack.adaptive.kind === 'none') delete attack.adaptive;
  for (const kind of ATTACKS.names) if (kind !== cfg.attack.kind && !HASHED_ATTACK_SECTIONS.has(kind)) delete attack[kind];
  return { ...cfg, attack: attack as ExperimentConfig['attack'] };
}
