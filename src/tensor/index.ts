// The tensor layer: the only part of abstain that touches the native addon.
export { Tensor, type DType, type Shape, type Reduction, type TypedArrayOf, type MemoryFormat } from './tensor.js';
export * from './create.js';
export * from './ops.js';
export { tidy, keep, dispose, noGrad, inferenceMode, isInferenceMode, isGradEnabled, liveTensors, workingBytes } from './scope.js';
export { Generator, manualSeed, getDefaultRngState, setDefaultRngState } from './random.js';
export { saveSafetensors, loadSafetensors, readSafetensorsHeader, readSafetensorsFileHeader, SafetensorsError, type SafetensorsFile } from './safetensors.js';
export { setNumThreads, getNumThreads, torchVersion, defaultThreads } from './threads.js';
export { NativeLoadError } from './native.js';
export {
  type Device,
  type TorchInfo,
  DeviceError,
  parseDevice,
  defaultDevice,
  torchInfo,
  describeLibtorch,
  cudaIsAvailable,
  cudaDeviceCount,
  sameDevice,
  synchronize,
  torchVersions,
  cpuCacheStats,
  type CpuCacheStats,
} from './device.js';
