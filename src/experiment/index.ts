// Running experiments: the stage table, the runner, the run folder's bookkeeping, and the engine
// side of the catalog (each kind's run function by name).
export { runExperiment, type RunOptions, type RunResult } from './runner.js';
export { STAGES, EVAL_SETS, MODEL_FILES, stagesFor, stageHash, certsFile, certifyStage, type Stage, type StageRow, type EvalSetName } from './stages.js';
export { RunContext, inputGradient, type ExperimentData } from './context.js';
export { StageLog, lockRunFolder, fileDigest, RunFolderError, type StageRecord, type LockJob } from './run-folder.js';
export { triggerSpec, trainingSet, evalInputs } from './inputs.js';
export { certifySet, certifyRange, modelPredictions, CertificationInterrupted, type EvalSet } from './certify-set.js';
export { trainVictim, objectiveFor, scheduleFor, trainingBatchProblem, TRAINING_STEP_BYTES } from './victim.js';
export { writeRunReport } from './report-stage.js';
export { attackEngine, objectiveEngine, certifierEngine, defenseEngine } from './engines.js';
