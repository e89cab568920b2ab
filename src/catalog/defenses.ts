// The defenses, by where they act: before training (filter the training set), during training,
// after training (repair the model), at test time (refuse inputs). The run function is the
// `engine` of the kind's own file under src/defend/, loaded on demand.
import { family, type KindWithOptions } from './family.js';
import type { TObject } from './schema-kit.js';

export type DefenseStage = 'data' | 'training' | 'model' | 'input';

export interface DefenseEntry<O extends TObject = TObject> extends KindWithOptions<O> {
  stage: DefenseStage;
  /** The paper the defaults come from. */
  reference: string;
  load(): Promise<{ engine: unknown }>;
}

export const DEFENSES = family<Record<string, DefenseEntry>>('defense', {});

export type DefenseName = (typeof DEFENSES.names)[number];
