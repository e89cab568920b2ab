// summary.json's `defenses`: gathered from the defense stages' artefacts (handed over in this
// process, or read back and checked), so a rebuilt report says the same as the run.
import { DEFENSES } from '../catalog/index.js';
import { dpaSetSummary, points, type DefenseSummary, type DefensesSummary } from '../pipeline/index.js';
import type { RunContext } from './context.js';
import { defenseFile, defenseStage, type DefensePlan } from './defense-plan.js';
import type { DefendedArtefact, FilterArtefact, InputArtefact, TrainingArtefact } from './defense-stages.js';

const accuracy = (pred: readonly number[], labels: ArrayLike<number>) => (pred.length ? pred.filter((p, i) => p === labels[i]).length / pred.length : 0);

export function defensesSummary(ctx: RunContext, plan: DefensePlan, undefended?: readonly number[], defended?: readonly number[]): DefensesSummary {
  const kinds = ctx.cfg.defense.kinds as string[];
  const made = plan.defendedModel === 'defended' ? ctx.artefact<DefendedArtefact>('defended', 'defended.json') : null;
  const defenses: DefenseSummary[] = kinds.map((kind) => {
    const stage = DEFENSES.get(kind).stage;
    if (stage === 'data') {
      const a = ctx.artefact<FilterArtefact>(defenseStage(kind), defenseFile(kind));
      return { kind, stage, seconds: a.seconds, detection: a.detection, detail: a.detail };
    }
    if (stage === 'model') {
      const r = made!.repairs.find((x) => x.defense === kind)!;
      return { kind, stage, seconds: r.seconds, detail: r.detail };
    }
    if (stage === 'training') {
      const a = ctx.artefact<TrainingArtefact>(defenseStage(kind), defenseFile(kind));
      const needed = a.poisonCount * (a.mode === 'replace' ? 2 : 1);
      return {
        kind, stage, seconds: a.seconds, detail: a.detail,
        dpa: {
          partitions: Number(a.detail.partitions ?? 0),
          poisonCount: a.poisonCount,
          needed,
          partitionsNeeded: 2 * needed + 1,
          clean: dpaSetSummary(a.sets.clean.votes, a.sets.clean.labels, needed),
          triggered: dpaSetSummary(a.sets.trigger.votes, a.sets.trigger.labels, needed),
        },
      };
    }
    const a = ctx.artefact<InputArtefact>(defenseStage(kind), defenseFile(kind));
    return { kind, stage, seconds: a.seconds, ...(a.rejection ? { rejection: a.rejection } : {}), detail: a.detail };
  });
  let cleanAccuracy: DefensesSummary['cleanAccuracy'] = null;
  if (plan.defended && undefended && defended) {
    const labels = ctx.data().clean.labels;
    const u = accuracy(undefended, labels);
    const d = accuracy(defended, labels);
    cleanAccuracy = { undefended: u, defended: d, lost: points(u - d) };
  }
  return { kinds, model: plan.defendedModel, retrainSeconds: made?.retrained?.seconds ?? 0, cleanAccuracy, defenses };
}
