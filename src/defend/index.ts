// Defenses (issue 10), by where they act: before training (training-set filters), during
// training (DPA), after training (repairs), at test time (input filters and transforms).
export * from './types.js';
export * from './metrics.js';
export { representations, perSampleLoss, penultimateLayer, lastConv } from './features.js';
export { fit, retrain, type FitOptions } from './fit.js';
export { activationClustering, meanSilhouette, AC_ANALYSES, AC_DEFAULTS, type ActivationClusteringOptions, type ActivationClusteringResult, type AcAnalysis, type ClassSplit } from './activation-clustering.js';
export { spectralSignatures, spectralScores, SPECTRAL_DEFAULTS, type SpectralSignaturesOptions } from './spectral-signatures.js';
export { lossIsolation, localGradientAscent, trainIsolationModel, LOSS_SIDES, LOSS_ISOLATION_DEFAULTS, type LossIsolationOptions, type LossSide } from './loss-isolation.js';
export { trainPartitioned, dpaVote, dpaCertificate, partitionOf, sampleHash, DPA_DEFAULTS, type DpaOptions, type DpaEnsemble, type DpaVote } from './dpa.js';
export { finePrune, channelActivations, pruneChannels, FINE_PRUNING_DEFAULTS, type FinePruningOptions, type FinePruningResult } from './fine-pruning.js';
export { neuralCleanse, neuralCleanseDetect, reverseTrigger, unlearn, anomalyIndices, applyReversed, NC_DEFAULTS, UNLEARN_DEFAULTS, type NeuralCleanseOptions, type NeuralCleanseResult, type ReversedTrigger, type NcCandidate, type UnlearnOptions } from './neural-cleanse.js';
export { stripEntropy, stripThresholds, calibrateStrip, STRIP_TAILS, STRIP_DEFAULTS, type StripOptions, type StripDetector, type StripTail, type Classifier } from './strip.js';
export { voteSplitDefense, detectVoteSplit, locateTrigger, occlude, meanImage, topVoteShares, topVotes, VOTE_SPLIT_DEFAULTS, type VoteSplitOptions, type VoteSplitDefense, type VoteSplitDetection, type TriggerLocation, type Window } from './vote-split.js';
export { DefenseError } from './errors.js';
export type { DefenseContext, DefenseDetail, DefenseEngine, DataDefense, TrainingDefense, TrainingDefenseResult, ModelDefense, InputDefense, PreparedInputDefense } from './engine.js';
