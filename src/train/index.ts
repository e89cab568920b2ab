// Training: the loop, objectives (standard, gaussian, IBP, CROWN-IBP), optimizers and schedules.
export { train, evaluateAccuracy, gatherBatch, deriveSeed, TrainingInterrupted, TrainingDiverged, type TrainOptions, type TrainResult, type TrainOptimizer, type StepSchedule } from './loop.js';
export { standardObjective, gaussianObjective, classificationLoss, type Objective, type Batch, type StepContext } from './objective.js';
export { ibpObjective, crownIbpObjective, worstCaseLoss, type CertifiedTrainingOptions } from './certified.js';
export { saveCheckpoint, loadCheckpoint, type EpochRecord } from './checkpoint.js';
export { createProgress, type Progress } from './progress.js';
export * from './optim.js';
export * from './schedule.js';
