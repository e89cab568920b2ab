// Seeded random number generation: one explicit generator per stream of randomness, so noise
// in randomized smoothing and shuffling in training are reproducible from the run's seed.
// A generator belongs to a device and draws tensors there. The same seed on the same device gives
// the same stream; a CPU and a CUDA generator give different streams (libtorch's CPU generator
// is a Mersenne twister, its CUDA one Philox), so results on a GPU match the CPU's statistically,
// not draw for draw.
import { native, type GenHandle } from './native.js';
import { Tensor } from './tensor.js';
import type { Device } from './device.js';

export class Generator {
  readonly handle: GenHandle;
  /** Where this generator draws: 'cpu' or 'cuda:N'. */
  readonly device: Device;
  constructor(readonly seed: number, device: Device = 'cpu') {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`generator seed must be a non-negative integer, got ${seed}`);
    this.handle = native.newGenerator(seed, device);
    this.device = native.generatorDevice(this.handle) as Device;
  }
  /** The full generator state (for checkpoints). */
  getState(): Uint8Array {
    const t = new Tensor(native.getRngState(this.handle));
    try {
      return t.data() as Uint8Array;
    } finally {
      t.dispose();
    }
  }
  setState(state: Uint8Array): void {
    setState(this.handle, state);
  }
}

function setState(handle: GenHandle | null, state: Uint8Array): void {
  const t = new Tensor(native.fromBuffer(state, [state.length], 'uint8'));
  try {
    native.setRngState(handle, t.handle);
  } finally {
    t.dispose();
  }
}

/** Seeds libtorch's default generators, the CPU's and each GPU's (used when no generator is passed). */
export function manualSeed(seed: number): void {
  native.manualSeed(seed);
}

export function getDefaultRngState(): Uint8Array {
  const t = new Tensor(native.getRngState(null));
  try {
    return t.data() as Uint8Array;
  } finally {
    t.dispose();
  }
}

export function setDefaultRngState(state: Uint8Array): void {
  setState(null, state);
}
