// Optimizers with torch.optim's exact update equations and savable state.
export { Optimizer, type OptimizerState, type OptimizerMeta } from './optim/optimizer.js';
export { SGD, type SGDOptions } from './optim/sgd.js';
export { Adam, type AdamOptions } from './optim/adam.js';
