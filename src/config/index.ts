// The validated experiment config: schema, loader, --explain text and stage hashes.
export { configSchema, deploymentRadiusFor, type ExperimentConfig, type JsonSchema, type CertifierName } from './schema.js';
export { loadConfig, applyOverrides, coerce, ConfigError, type Overrides } from './load.js';
export { explainConfig } from './explain.js';
export { configHash, canonicalJson, stageFields, type Stage } from './hash.js';
export { fieldSchema, leafFields, describeAllowed } from './fields.js';
