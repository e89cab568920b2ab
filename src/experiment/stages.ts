// The stage table: every stage of a run, declared once — its name, the config fields its
// artefacts depend on, the stages it reads, its artefacts, and its run function. The runner
// walks it, the CLI's commands pick their targets from it, and `reproduce` reuses stages across
// cells by their hashes. A stage's hash covers its fields and its inputs' records (hash and
// artefact digests), so a changed config, or an artefact replaced by another model, reruns
// everything downstream and nothing else.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ATTACKS } from '../catalog/index.js';
import { attackKindOptions, canonicalJson, pickFields, type ExperimentConfig } from '../config/index.js';
import { saveModel } from '../nn/index.js';
import type { Device } from '../tensor/index.js';
import { writePoisonJson } from '../poison/index.js';
import type { StageLog } from './run-folder.js';
import type { RunContext } from './context.js';
import { certifySet } from './certify-set.js';
import { trainVictim } from './victim.js';
import { writeRunReport } from './report-stage.js';

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
export type EvalSetName = (typeof EVAL_SETS)[number]['name'];

/** The artefact file of each model-producing stage. */
export const MODEL_FILES = { surrogate: 'surrogate.safetensors', train: 'model.safetensors', baseline: 'baseline.safetensors' } as const;

export const certsFile = (set: string, kind: string) => `certs-${set}-${kind}.jsonl`;
export const certifyStage = (kind: string, set: string) => `certify-${kind}-${set}`;

/** The surrogate model an attack asks for, if any. */
const surrogateOf = (cfg: ExperimentConfig) => ATTACKS.get(cfg.attack.kind).surrogate?.(attackKindOptions(cfg) as never);

/** Trains a model into `file` the way the victim trains (or as the surrogate asks), with checkpoints keyed by the stage hash. */
async function trainStage(ctx: RunContext, stage: 'surrogate' | 'train' | 'baseline', o: StageRunOptions): Promise<void> {
  const cfg = ctx.cfg;
  const data = ctx.data();
  const trainData = stage === 'train' ? (await ctx.poison()).dataset : data.train;
  // A checkpoint belongs to one stage hash: its folder is named by it, and folders of older
  // hashes of the same stage are removed, so a changed config never resumes stale state.
  const root = ctx.path('checkpoints');
  const ckpt = join(root, `${stage}-${o.hash.slice(0, 12)}`);
  if (existsSync(root)) for (const d of readdirSync(root)) if (d.startsWith(`${stage}-`) && join(root, d) !== ckpt) rmSync(join(root, d), { recursive: true, force: true });
  if (!ctx.resume) rmSync(ckpt, { recursive: true, force: true });
  const model = ctx.buildModel();
  const surrogate = stage === 'surrogate' ? surrogateOf(cfg) : undefined;
  const label = { surrogate: 'train (surrogate)', train: 'train (poisoned)', baseline: 'train (baseline)' }[stage];
  const history = await trainVictim(cfg, model, trainData, data.clean, {
    checkpointDir: ckpt, resume: ctx.resume, progress: ctx.io.progress, log: ctx.io.log, label,
    ...(surrogate ? { objective: surrogate.objective, epochs: surrogate.epochs } : {}),
  });
  saveModel(ctx.path(MODEL_FILES[stage]), model, {
    architecture: cfg.model.architecture,
    objective: surrogate ? surrogate.objective : cfg.train.objective,
    seed: String(cfg.seed),
    history: JSON.stringify(history),
  });
  ctx.setModel(stage, model);
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
            run: (ctx, o) => trainStage(ctx, 'surrogate', o),
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
    stages: () => one({ name: 'train', fields: ['seed', 'data', 'model', 'train'], inputs: ['poison'], artefacts: [MODEL_FILES.train], onDevice: true, run: (ctx, o) => trainStage(ctx, 'train', o) }),
  },
  {
    name: 'baseline',
    description: 'an unpoisoned model trained the same way: baseline.safetensors',
    stages: (cfg) =>
      cfg.baseline ? one({ name: 'baseline', fields: ['seed', 'data', 'model', 'train'], inputs: [], artefacts: [MODEL_FILES.baseline], onDevice: true, run: (ctx, o) => trainStage(ctx, 'baseline', o) }) : [],
  },
  {
    name: 'certify',
    description: 'every certifier on every evaluated set (clean and triggered inputs; poisoned and baseline model): certs-<set>-<certifier>.jsonl',
    stages: (cfg) =>
      cfg.certify.kinds.flatMap((kind) =>
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
      ),
  },
  {
    name: 'report',
    description: 'metrics per certifier, summary.json, plots/ and report.html',
    stages: (cfg) =>
      one({
        name: 'report',
        fields: [],
        inputs: STAGES.find((r) => r.name === 'certify')!.stages(cfg).map((s) => s.name),
        artefacts: ['summary.json', 'report.html'],
        always: true,
        run: (ctx) => writeRunReport(ctx),
      }),
  },
];

/** The stages of a run, in the order they run. */
export function stagesFor(cfg: ExperimentConfig): Stage[] {
  return STAGES.flatMap((r) => r.stages(cfg));
}

/** A stage's hash: its config fields and its inputs' records (hash and artefact digests). */
export function stageHash(cfg: ExperimentConfig, stage: Stage, log: StageLog, device: Device): string {
  const inputs = Object.fromEntries(stage.inputs.map((i) => [i, log.get(i) ?? null]));
  // CPU and CUDA generators draw different streams: a stage on another kind of device is another result
  const on = stage.onDevice ? { device: device.split(':')[0] } : {};
  return createHash('sha256').update(canonicalJson({ stage: stage.name, fields: pickFields(cfg, stage.fields), inputs, ...on })).digest('hex');
}
