// Certifiers: randomized smoothing, IBP, CROWN (and the kinds the catalog adds), all returning
// certificates; each kind's
// `engine` is what the catalog (src/catalog/certifiers.ts) loads.
export * from './certificate.js';
export * from './records.js';
export { NonFiniteLogitsError, type CertifierEngine, type CertifyContext, type CertifyAsyncContext } from './engine.js';
export * from './stats.js';
export { Smooth, ABSTAIN, SMOOTHING_BATCH_BYTES, bytesPerSample, cappedBatchSize, type BaseClassifier, type SmoothOptions, type SmoothCertification, type SmoothPrediction, type CertifyManyOptions, type PredictManyOptions, type SmoothingOptions } from './smoothing.js';
export * from './spec.js';
export { ibpBounds, ibpSpecBounds, ibpMarginBounds, certifyIBP, type IbpCertifierOptions } from './ibp.js';
export { backsubstitute, linearSpecBounds, type BacksubOptions, type LinearBoundOptions } from './backsub.js';
export { crownSpecBounds, crownMarginBounds, crownBounds, certifyCROWN, largestCertifiedEps, largestCertifiedEpsMany, type CrownOptions, type CertifyCrownOptions, type LargestEpsOptions, type CrownCertifierOptions } from './crown.js';
export * as bounds from './bounds/index.js';
export type { LowerSlope } from './bounds/index.js';
