// The run functions of the defense stages (their rows are in the stage table, stages.ts): a
// training-set filter, the defended model (retrained without the flagged samples, then repaired),
// DPA's ensemble, an input defense. Each writes one JSON artefact (or the defended model) and
// hands its value to the later stages through the context.
import { DEFENSES } from '../catalog/index.js';
import { defenseOptions } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import { detectionMetrics, rejectionRates, type DataDefense, type DefenseEngine, type InputDefense, type ModelDefense, type TrainingDefense } from '../defend/index.js';
import { saveModel, type Module } from '../nn/index.js';
import { ADAPTIVE_KINDS } from '../poison/index.js';
import { writeJsonAtomic } from '../util/atomic.js';
import type { RunContext } from './context.js';
import { defenseFile, defenseStage, type DefensePlan } from './defense-plan.js';
import { defenseEngine } from './engines.js';
import { MODEL_FILES, trainStage, type StageRunOptions } from './stages.js';

const seconds = (t0: number) => Number(((Date.now() - t0) / 1000).toFixed(2));

/** A defense's engine, checked to act where the catalog says. */
async function engineAt<S extends DefenseEngine['stage']>(kind: string, stage: S): Promise<Extract<DefenseEngine, { stage: S }>> {
  const e = await defenseEngine(kind);
  if (e.stage !== stage || DEFENSES.get(kind).stage !== stage) throw new Error(`catalog: the defense "${kind}" is listed as a ${DEFENSES.get(kind).stage} defense but its engine acts on ${e.stage}`);
  return e as Extract<DefenseEngine, { stage: S }>;
}

/** defense-<kind>.json of a training-set filter. */
export interface FilterArtefact {
  defense: string;
  stage: 'data';
  /** Indices into the poisoned training set, ascending. */
  flagged: number[];
  detection: ReturnType<typeof detectionMetrics> & { adaptiveSamples?: number; adaptiveFlagged?: number };
  detail: Record<string, unknown>;
  seconds: number;
}

export async function runDataFilter(ctx: RunContext, kind: string): Promise<void> {
  const t0 = Date.now();
  const engine = (await engineAt(kind, 'data')) as DataDefense;
  const p = await ctx.poison();
  const victim = ctx.model('train', MODEL_FILES.train);
  const r = await engine.filter(p.dataset, victim, defenseOptions(ctx.cfg, kind), await ctx.defenseContext());
  // scored against the attack's own poison; an adaptive attacker's extra samples are counted apart
  const adaptive = new Set(p.records.filter((x) => (ADAPTIVE_KINDS as readonly string[]).includes(x.kind)).map((x) => x.index));
  const own = p.records.filter((x) => !adaptive.has(x.index));
  const flagged = Array.from(r.flagged);
  const detection: FilterArtefact['detection'] = detectionMetrics(flagged.filter((i) => !adaptive.has(i)), own, p.dataset.length);
  if (adaptive.size) {
    detection.adaptiveSamples = adaptive.size;
    detection.adaptiveFlagged = flagged.filter((i) => adaptive.has(i)).length;
  }
  const doc: FilterArtefact = { defense: kind, stage: 'data', flagged, detection, detail: r.detail ?? {}, seconds: seconds(t0) };
  writeJsonAtomic(ctx.path(defenseFile(kind)), doc);
  ctx.setArtefact(defenseStage(kind), doc);
  ctx.io.log(
    `${kind}: flagged ${flagged.length} of ${p.dataset.length} training samples: precision ${detection.precision.toFixed(3)}, recall ${detection.recall.toFixed(3)} of the ${detection.poisoned} poisoned, ${detection.cleanRemoved} clean removed`,
  );
}

/** defended.json: what was done to make the defended model. */
export interface DefendedArtefact {
  /** Training samples removed (the union of the filters' flags), and the retraining's seconds; null when the victim was copied. */
  retrained: { removed: number; kept: number; seconds: number } | null;
  repairs: { defense: string; detail: Record<string, unknown>; seconds: number }[];
  seconds: number;
}

/** A fresh copy of a model (the victim is shared by the stages and must stay as it is). */
function copyOf(ctx: RunContext, m: Module): Module {
  const c = ctx.buildModel();
  c.loadStateDict(m.stateDict());
  return c;
}

export async function runDefended(ctx: RunContext, plan: DefensePlan, o: StageRunOptions): Promise<void> {
  const t0 = Date.now();
  let model: Module;
  let retrained: DefendedArtefact['retrained'] = null;
  if (plan.data.length) {
    const p = await ctx.poison();
    const flagged = new Set<number>();
    for (const k of plan.data) for (const i of ctx.artefact<FilterArtefact>(defenseStage(k), defenseFile(k)).flagged) flagged.add(i);
    const keep = Int32Array.from({ length: p.dataset.length }, (_, i) => i).filter((i) => !flagged.has(i));
    ctx.io.log(`defended: training the victim again without the ${flagged.size} flagged samples (${keep.length} kept)`);
    const t = Date.now();
    model = await trainStage(ctx, 'defended', o, p.dataset.subset(keep));
    retrained = { removed: flagged.size, kept: keep.length, seconds: seconds(t) };
  } else {
    model = copyOf(ctx, ctx.model('train', MODEL_FILES.train));
  }
  const repairs: DefendedArtefact['repairs'] = [];
  try {
    for (const k of plan.model) {
      const t = Date.now();
      const engine = (await engineAt(k, 'model')) as ModelDefense;
      const detail = await engine.repair(model, defenseOptions(ctx.cfg, k), await ctx.defenseContext());
      model.eval();
      repairs.push({ defense: k, detail, seconds: seconds(t) });
      ctx.io.log(`${k}: ${JSON.stringify(detail).slice(0, 240)}`);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  saveModel(ctx.path(MODEL_FILES.defended), model, {
    architecture: ctx.cfg.model.architecture,
    objective: ctx.cfg.train.objective,
    seed: String(ctx.cfg.seed),
    defenses: [...plan.data, ...plan.model].join(','),
  });
  ctx.setModel('defended', model);
  const doc: DefendedArtefact = { retrained, repairs, seconds: seconds(t0) };
  writeJsonAtomic(ctx.path('defended.json'), doc);
  ctx.setArtefact('defended', doc);
}

/** defense-<kind>.json of a training defense: its votes on the evaluated sets. */
export interface TrainingArtefact {
  defense: string;
  stage: 'training';
  poisonCount: number;
  mode: 'add' | 'replace';
  sets: Record<'clean' | 'trigger', { labels: number[]; votes: { counts: number[]; prediction: number; radius: number }[] }>;
  detail: Record<string, unknown>;
  seconds: number;
}

export async function runTrainingDefense(ctx: RunContext, kind: string): Promise<void> {
  const t0 = Date.now();
  const engine = (await engineAt(kind, 'training')) as TrainingDefense;
  const p = await ctx.poison();
  const d = ctx.data();
  const r = await engine.train(p.dataset, defenseOptions(ctx.cfg, kind), await ctx.defenseContext(), { clean: d.clean, trigger: d.triggered });
  const set = (name: 'clean' | 'trigger', ds: Dataset) => ({ labels: Array.from(ds.labels), votes: r.votes[name] });
  const doc: TrainingArtefact = {
    defense: kind, stage: 'training', poisonCount: p.records.length, mode: p.summary.mode,
    sets: { clean: set('clean', d.clean), trigger: set('trigger', d.triggered) }, detail: r.detail, seconds: seconds(t0),
  };
  writeJsonAtomic(ctx.path(defenseFile(kind)), doc);
  ctx.setArtefact(defenseStage(kind), doc);
}

/** The artefact of an input defense: refusals of the evaluated inputs, or a transform's parameters. */
export interface InputArtefact {
  defense: string;
  stage: 'input';
  acts: 'refuse' | 'transform';
  /** Refusing defenses: per evaluated input. */
  refused?: { clean: boolean[]; trigger: boolean[] };
  rejection?: ReturnType<typeof rejectionRates>;
  /** Transforming defenses: what the engine's restore() rebuilds the transform from. */
  params?: unknown;
  /** The model it was set up on. */
  model: 'defended' | 'train';
  detail: Record<string, unknown>;
  seconds: number;
}

export async function runInputDefense(ctx: RunContext, kind: string, plan: DefensePlan): Promise<void> {
  const t0 = Date.now();
  const engine = (await engineAt(kind, 'input')) as InputDefense;
  const acts = DEFENSES.get(kind).acts!;
  const model = ctx.model(plan.defendedModel, MODEL_FILES[plan.defendedModel]);
  const prepared = await engine.prepare(model, defenseOptions(ctx.cfg, kind), await ctx.defenseContext());
  const doc: InputArtefact = { defense: kind, stage: 'input', acts, model: plan.defendedModel, detail: prepared.detail, seconds: 0 };
  if (acts === 'refuse') {
    if (!prepared.refuse) throw new Error(`catalog: the input defense "${kind}" refuses inputs, but its engine gives no refuse()`);
    const d = ctx.data();
    doc.refused = { clean: prepared.refuse(d.clean), trigger: prepared.refuse(d.triggered) };
    doc.rejection = rejectionRates(doc.refused.clean, doc.refused.trigger);
    ctx.io.log(`${kind}: refuses ${(100 * doc.rejection.trueRejectionRate).toFixed(1)}% of triggered and ${(100 * doc.rejection.falseRejectionRate).toFixed(1)}% of clean inputs`);
  } else {
    if (!engine.restore) throw new Error(`catalog: the input defense "${kind}" transforms inputs, but its engine has no restore()`);
    doc.params = prepared.params ?? null;
  }
  doc.seconds = seconds(t0);
  writeJsonAtomic(ctx.path(defenseFile(kind)), doc);
  ctx.setArtefact(defenseStage(kind), doc);
}

/** The inputs as the defended system's certifier gets them: every transform of the plan, in order. */
export async function defendedInputs(ctx: RunContext, plan: DefensePlan, ds: Dataset): Promise<Dataset> {
  let out = ds;
  for (const k of plan.transform) {
    const engine = (await engineAt(k, 'input')) as InputDefense;
    out = engine.restore!(ctx.artefact<InputArtefact>(defenseStage(k), defenseFile(k)).params)(out);
  }
  return out;
}

/** Per evaluated input: refused by any refusing defense of the plan (null without one). */
export function refusals(ctx: RunContext, plan: DefensePlan): { clean: boolean[]; trigger: boolean[] } | null {
  if (!plan.refuse.length) return null;
  const docs = plan.refuse.map((k) => ctx.artefact<InputArtefact>(defenseStage(k), defenseFile(k)).refused!);
  const any = (set: 'clean' | 'trigger') => docs[0][set].map((_, i) => docs.some((d) => d[set][i]));
  return { clean: any('clean'), trigger: any('trigger') };
}
