// abstain's TypeScript API: one namespace per concern, in the order data flows through them.
export * as tensor from './tensor/index.js';
export * as nn from './nn/index.js';
export * as data from './data/index.js';
export * as poison from './poison/index.js';
export * as train from './train/index.js';
export * as certify from './certify/index.js';
export * as pipeline from './pipeline/index.js';
export * as defend from './defend/index.js';
export * as report from './report/index.js';
export * as experiment from './experiment/index.js';
export * as config from './config/index.js';
export * as catalog from './catalog/index.js';
