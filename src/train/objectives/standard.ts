// The `standard` objective kind: plain cross-entropy.
import { standardObjective, type ObjectiveEngine } from '../objective.js';

export const engine: ObjectiveEngine<object> = { name: 'standard', objective: () => standardObjective };
