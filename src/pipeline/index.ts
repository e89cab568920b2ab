// The deployed system (certifier + fallback), its metrics, and the experiment runner.
export * from './metrics.js';
export * from './system.js';
export { runExperiment, prepareData, triggerSpec, attackOptions, radiiFor, type RunOptions, type RunResult, type ExperimentData } from './experiment.js';
export { certifySet, certifyRange, modelPredictions, CertificationInterrupted, type EvalSet } from './certify-set.js';
export { trainVictim, objectiveFor, scheduleFor } from './victim.js';
