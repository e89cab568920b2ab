// The validated experiment config: schema (built from the catalog of kinds), loader, --explain
// text, each kind's options, and the hash of a set of fields.
export { configSchema, type ExperimentConfig, type JsonSchema, type CertifierName } from './schema.js';
export { attackKindOptions, objectiveOptions, certifierOptions, defenseOptions, deploymentRadiusFor, curveRadiiFor } from './kinds.js';
export { loadConfig, applyOverrides, coerce, ConfigError, type Overrides } from './load.js';
export { explainConfig, explainKinds, KIND_FIELDS } from './explain.js';
export { configHash, canonicalJson, pickFields } from './hash.js';
export { fieldSchema, leafFields, describeAllowed } from './fields.js';
