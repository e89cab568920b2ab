// The deployed system (certifier + fallback), its metrics, and the experiment runner.
export * from './metrics.js';
export * from './system.js';
export { runExperiment, prepareData, type RunOptions, type RunResult, type ExperimentData } from './experiment.js';
export { triggerSpec, attackOptions, radiiFor, evalInputs, stageHash, type EvalSetName } from './stages.js';
export { writeRunReport, type CertSets, type ReportExtras } from './report-stage.js';
export { certifySet, certifyRange, modelPredictions, CertificationInterrupted, type EvalSet } from './certify-set.js';
export { trainVictim, objectiveFor, scheduleFor } from './victim.js';
