// Loads the libtorch addon once, turning a missing build or a missing libtorch into one clear line.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** An opaque handle to a libtorch tensor owned by the addon. */
export type Handle = { readonly __handle: unique symbol };
/** An opaque handle to a libtorch random generator. */
export type GenHandle = { readonly __gen: unique symbol };

export class NativeLoadError extends Error {}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'binding.gyp'))) {
    const up = dirname(dir);
    if (up === dir) throw new NativeLoadError('abstain: cannot find the package root (binding.gyp) above ' + import.meta.url);
    dir = up;
  }
  return dir;
}

/**
 * The OpenBLAS kernels for this CPU, named from its instruction sets. OpenBLAS picks its kernels
 * from the CPU model, and on one it does not know (some cloud VMs report a generic "Intel Xeon
 * Processor") falls back to SSE3 kernels ("Prescott"): libtorch's matrix products (Linear layers,
 * forward and backward) then ran 3-4x slower on such a machine. Undefined when there is nothing
 * to name (not Linux x86, no AVX2).
 */
function openblasCoreFor(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return undefined;
  }
  if (['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))) return 'SkylakeX';
  if (['avx2', 'fma'].every((f) => flags.has(f))) return 'Haswell';
  return undefined;
}

function load(): any {
  // OpenBLAS reads this when the addon loads it (below); a user's own setting wins.
  const core = process.env.OPENBLAS_CORETYPE === undefined ? openblasCoreFor() : undefined;
  if (core) process.env.OPENBLAS_CORETYPE = core;
  // OpenMP's default spin-waiting makes libtorch 10-100x slower whenever another process shares
  // the cores (measured on a 2-core machine under load); passive waiting costs little when idle.
  // libgomp reads this when the addon loads it, so it must be set before the require below.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const path = join(packageRoot(), 'build', 'Release', 'abstain_native.node');
  if (!existsSync(path)) {
    throw new NativeLoadError(`abstain: the native addon is not built (${path} is missing); run \`npm run build\``);
  }
  try {
    return createRequire(import.meta.url)(path);
  } catch (e) {
    const msg = (e as Error).message;
    if (/libtorch|libc10|libopenblas|cannot open shared object/.test(msg)) {
      throw new NativeLoadError(
        `abstain: a native library is missing (${msg.split('\n')[0]}); run \`npm run setup\` ` +
          '(it rebuilds against the libtorch it finds: LIBTORCH, an installed PyTorch, else Debian\'s libtorch-dev, which it installs as root)',
      );
    }
    throw new NativeLoadError(`abstain: cannot load the native addon ${path}: ${msg.split('\n')[0]}; run \`npm run build\``);
  }
}

/** The raw binding. Only src/tensor/ may use it. */
export const native: any = load();
