// Which defenses a config applies, grouped by where they act, and what that means for the
// stage table: whether a defended model is made, with which input transforms it is certified,
// and which refusals the report counts as fallbacks. Pure (no engine), so that the stage table
// and --list can use it before anything loads.
import { DEFENSES } from '../catalog/index.js';
import type { ExperimentConfig } from '../config/index.js';
import { DefenseError } from '../defend/errors.js';

export interface DefensePlan {
  /** Training-set filters, in config order (their flagged samples are removed together). */
  data: string[];
  /** Training defenses (DPA): their own ensemble, judged by its own certificate. */
  training: string[];
  /** Model repairs, applied in config order. */
  model: string[];
  /** Input defenses that refuse, and that transform (in config order). */
  refuse: string[];
  transform: string[];
  /** Whose weights the defended sets go through: a defended model (data filters or repairs), else the victim. */
  defendedModel: 'defended' | 'train';
  /**
   * Whether the defended sets need a certification of their own (another model or transformed
   * inputs). Otherwise they are the undefended certificates with the refusals applied: certifying
   * the same model on the same inputs again would give the same certificates.
   */
  certifyDefended: boolean;
  /** Whether the run has defended sets at all (any defense but a training defense alone). */
  defended: boolean;
}

export const defenseStage = (kind: string): string => `defend-${kind}`;
/** The artefact of a defense stage: flagged samples, DPA's votes, an input transform's parameters; refusals have their own name. */
export const defenseFile = (kind: string): string => (DEFENSES.get(kind).acts === 'refuse' ? `refused-${kind}.json` : `defense-${kind}.json`);

/** The defenses of a config by stage; one line when one cannot run with this config. */
export function defensePlan(cfg: ExperimentConfig): DefensePlan {
  const kinds = cfg.defense.kinds as string[];
  const of = (stage: string) => kinds.filter((k) => DEFENSES.get(k).stage === stage);
  for (const k of kinds) {
    if (DEFENSES.get(k).uses.smoothing === 'required' && !cfg.certify.kinds.includes('smoothing')) {
      throw new DefenseError(`defense ${k} reads the votes of randomized smoothing, and certify.kinds (${cfg.certify.kinds.join(', ')}) has no smoothing; add it (--certifier ${[...cfg.certify.kinds, 'smoothing'].join(',')}) or drop ${k} from defense.kinds`);
    }
  }
  const input = of('input');
  const data = of('data');
  const model = of('model');
  const transform = input.filter((k) => DEFENSES.get(k).acts === 'transform');
  const defendedModel = data.length || model.length ? 'defended' : 'train';
  return {
    data,
    training: of('training'),
    model,
    refuse: input.filter((k) => DEFENSES.get(k).acts === 'refuse'),
    transform,
    defendedModel,
    certifyDefended: defendedModel === 'defended' || transform.length > 0,
    defended: data.length + model.length + input.length > 0,
  };
}
