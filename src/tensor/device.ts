// Devices: where tensors live ('cpu', 'cuda', 'cuda:N'), what the linked libtorch offers, and the
// default device. Values are always read back through the CPU (toFloat32Array, item, data) and
// files are written from CPU copies, so only the arithmetic moves to a GPU.
import { dirname } from 'node:path';
import { native } from './native.js';

/** A device as libtorch names it: the CPU, the current GPU ('cuda', i.e. cuda:0), or GPU N. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

export class DeviceError extends Error {}

/** What the linked libtorch is and offers. */
export interface TorchInfo {
  /** libtorch's version (TORCH_VERSION, e.g. "1.13.0"). */
  version: string;
  /** The addon was linked against a libtorch with CUDA (libtorch_cuda). */
  cudaCompiled: boolean;
  /** That libtorch finds a GPU and its driver now. */
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  /** The shared library libtorch's CPU code was loaded from. */
  library: string;
  /** The kernels OpenBLAS runs ("Haswell", "SkylakeX", ...); "" when libtorch's BLAS is another one. */
  blasCore: string;
}

let info: TorchInfo | undefined;
/** The linked libtorch (asked once: CUDA's availability does not change within a process). */
export function torchInfo(): TorchInfo {
  return (info ??= native.torchInfo() as TorchInfo);
}

/** Which libtorch this is, in words: "Debian's CPU libtorch 1.13" or "the CPU libtorch 2.4.0 in /opt/libtorch/lib". */
export function describeLibtorch(i: TorchInfo = torchInfo()): string {
  const kind = i.cudaCompiled ? 'CUDA' : 'CPU';
  if (/^\/(usr\/)?lib\//.test(i.library)) return `Debian's ${kind} libtorch ${i.version.split('.').slice(0, 2).join('.')}`;
  return `the ${kind} libtorch ${i.version} in ${i.library ? dirname(i.library) : 'an unknown folder'}`;
}

/**
 * The canonical form of a device string ('cpu', 'cuda:N'; 'cuda' means cuda:0), checked against
 * what this process has. Throws DeviceError with one line that names the problem and the fix.
 */
export function parseDevice(text: string): Device {
  const m = /^\s*(cpu|cuda)(?::(\d+))?\s*$/.exec(String(text));
  if (!m || (m[1] === 'cpu' && m[2] !== undefined)) {
    throw new DeviceError(`device '${text}' is not a device (use cpu, cuda or cuda:N)`);
  }
  if (m[1] === 'cpu') return 'cpu';
  const index = m[2] === undefined ? 0 : Number(m[2]);
  const i = torchInfo();
  const name = String(text).trim();
  if (!i.cudaCompiled) {
    throw new DeviceError(`device ${name}: this libtorch was built without CUDA (it is ${describeLibtorch(i)}); build against a CUDA PyTorch, see README`);
  }
  if (!i.cudaAvailable || i.cudaDeviceCount === 0) {
    throw new DeviceError(`device ${name}: no CUDA GPU is available (libtorch ${i.version} has CUDA, but finds no GPU or driver); use --device cpu`);
  }
  if (index >= i.cudaDeviceCount) {
    const n = i.cudaDeviceCount;
    throw new DeviceError(`device ${name}: only ${n} CUDA device${n === 1 ? ' is' : 's are'} present (use ${n === 1 ? 'cuda:0' : `cuda:0 to cuda:${n - 1}`})`);
  }
  return `cuda:${index}`;
}

/** CUDA when the linked libtorch has it and a GPU is present, else the CPU. */
export function defaultDevice(): Device {
  const i = torchInfo();
  return i.cudaCompiled && i.cudaAvailable && i.cudaDeviceCount > 0 ? 'cuda:0' : 'cpu';
}

export const cudaIsAvailable = (): boolean => torchInfo().cudaAvailable;
export const cudaDeviceCount = (): number => torchInfo().cudaDeviceCount;

/** The same device? ('cuda' is cuda:0.) */
export function sameDevice(a: string, b: string): boolean {
  const norm = (d: string) => (d === 'cuda' ? 'cuda:0' : d);
  return norm(a) === norm(b);
}

/** Waits until the device has finished its queued work (for timings; nothing to do on the CPU). */
export function synchronize(device: Device = 'cpu'): void {
  if (device !== 'cpu') native.synchronize(device);
}

/**
 * What a run records about its tensor engine: libtorch's version, which build it is, and CUDA's
 * state ("not compiled in", "compiled in, no GPU available", "1 GPU available").
 */
export function torchVersions(): Record<string, string> {
  const i = torchInfo();
  const gpus = `${i.cudaDeviceCount} GPU${i.cudaDeviceCount === 1 ? '' : 's'} available`;
  return {
    libtorch: i.version,
    'libtorch build': describeLibtorch(i),
    cuda: !i.cudaCompiled ? 'not compiled in' : i.cudaAvailable && i.cudaDeviceCount > 0 ? gpus : 'compiled in, no GPU available',
    ...(i.blasCore ? { openblas: i.blasCore } : {}),
  };
}

/** The large-block CPU cache of the addon (native/allocator.cc): what it holds and how it did. */
export interface CpuCacheStats {
  /** False when ABSTAIN_CPU_CACHE_MB=0 (libtorch's own allocator). */
  enabled: boolean;
  /** Freed blocks kept for reuse, and blocks in use, in bytes. */
  cachedBytes: number;
  liveBytes: number;
  /** Requests served from the cache / by a new mapping; blocks given back to the kernel. */
  hits: number;
  misses: number;
  released: number;
}
export const cpuCacheStats = (): CpuCacheStats => native.cpuCacheStats() as CpuCacheStats;
