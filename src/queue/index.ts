// Running a grid on a pool of machines: a BullMQ job queue on Redis. The enqueuer's side (this
// index: no engine, no libtorch) and the worker (worker.ts, loaded by `abstain worker`).
export { QUEUE_NAME, QueueError, parseQueueUrl, checkRedis, redisOptions, type QueueAddress } from './connection.js';
export { runJobId, type RunJobData, type RunJobResult } from './jobs.js';
export { openQueue, enqueueRuns, runStates, type RunQueue, type RunToQueue, type RunState, type RunPhase, type EnqueueReport } from './grid.js';
export { gridProgress, progressLine, detailLines, type GridProgress } from './progress.js';
export { redisLease } from './lease.js';
