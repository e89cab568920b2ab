// The catalog of kinds: every data set, architecture, attack, training objective, certifier and
// defense described once — its name, a one-line description, its options as a sub-schema with
// defaults and doc strings, and what the rest of the system needs to know about it. The config
// schema, --explain, the CLI flags, the runner, the reports and the reproduce grid iterate over
// it. It loads without the native addon: each kind's run function is imported on demand.
export { family, UnknownKindError, type Family, type KindEntry, type KindWithOptions } from './family.js';
export { DATASETS, type DatasetEntry, type DatasetName } from './datasets.js';
export { ARCHITECTURES, type ArchitectureEntry, type ArchitectureName } from './architectures.js';
export { ATTACKS, type AttackEntry, type AttackName } from './attacks.js';
export { OBJECTIVES, type ObjectiveEntry, type ObjectiveName } from './objectives.js';
export { CERTIFIERS, type CertifierEntry, type CertifierGrid, type CertifierName, type EvalRadii } from './certifiers.js';
export { DEFENSES, type DefenseEntry, type DefenseName, type DefenseStage } from './defenses.js';
export type { GridSetting, Overrides, ScaleName } from './grid.js';
export * as schemaKit from './schema-kit.js';
