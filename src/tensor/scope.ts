// Deterministic memory management: tidy scopes, keep, noGrad and live-tensor counting.
// libtorch memory is invisible to V8's GC, so hot loops run inside tidy() and free what they
// created; the addon's finalizer is only the last resort.
import { native } from './native.js';

interface Disposable {
  readonly handle: unknown;
  dispose(): void;
}

const scopes: Set<Disposable>[] = [];

/** Registers a new tensor with the innermost tidy scope (called by the Tensor constructor). */
export function track(t: Disposable): void {
  if (scopes.length) scopes[scopes.length - 1].add(t);
}

export function untrack(t: Disposable): void {
  for (const s of scopes) s.delete(t);
}

function isTensor(x: unknown): x is Disposable {
  return typeof x === 'object' && x !== null && 'handle' in x && typeof (x as Disposable).dispose === 'function';
}

/** Tensors reachable from a result: the value itself, arrays, Maps and plain objects (nested). */
function collect(x: unknown, out: Set<Disposable>, seen = new Set<unknown>()): void {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (isTensor(x)) {
    out.add(x);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, out, seen);
  else if (x instanceof Map) for (const v of x.values()) collect(v, out, seen);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x)) collect(v, out, seen);
}

/**
 * Runs fn and frees every tensor it created that is not part of its result (tensors inside
 * returned arrays and plain objects survive and move to the enclosing scope). fn must be
 * synchronous. On an exception, everything fn created is freed before rethrowing.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) native.dispose(t.handle);
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('tidy: fn must be synchronous (it returned a Promise)');
  const kept = new Set<Disposable>();
  collect(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else native.dispose(t.handle);
  }
  return result;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

/**
 * Runs fn in its own scope and returns the bytes held by the tensors it created, then frees
 * them all (its result included). Inside tidy every intermediate lives until the scope ends, so
 * this is fn's working memory (views count as copies: an upper bound).
 */
export function workingBytes(fn: () => unknown): number {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let bytes = 0;
  try {
    fn();
  } finally {
    scopes.pop();
    for (const t of scope) {
      const x = t as unknown as { size: number; dtype: string };
      bytes += x.size * (DTYPE_BYTES[x.dtype] ?? 8);
      native.dispose(t.handle);
    }
  }
  return bytes;
}

/** Exempts tensors from every enclosing tidy scope (e.g. parameters created inside one). */
export function keep<T extends Disposable | Disposable[]>(t: T): T {
  for (const x of Array.isArray(t) ? t : [t]) untrack(x);
  return t;
}

/** Disposes the tensors found in x (a tensor, array or plain object of them). */
export function dispose(x: unknown): void {
  const found = new Set<Disposable>();
  collect(x, found);
  for (const t of found) t.dispose();
}

/** Runs fn with autograd recording switched off, restoring the previous mode afterwards. */
export function noGrad<T>(fn: () => T): T {
  const prev = native.isGradEnabled() as boolean;
  native.setGradEnabled(false);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}

/**
 * Runs fn in libtorch's inference mode: no autograd recording, and none of its bookkeeping
 * (version counters, view tracking) either, which makes each op a little cheaper. Tensors made
 * inside are inference tensors: they may be read anywhere but not used by autograd or changed in
 * place outside inference mode, so use it where nothing made inside escapes to training code
 * (e.g. around sampling, which returns counts). fn must be synchronous.
 */
export function inferenceMode<T>(fn: () => T): T {
  native.enterInferenceMode();
  try {
    const r = fn();
    if (r instanceof Promise) throw new Error('inferenceMode: fn must be synchronous (it returned a Promise)');
    return r;
  } finally {
    native.exitInferenceMode();
  }
}

/** Whether libtorch's inference mode is on (inside inferenceMode). */
export function isInferenceMode(): boolean {
  return native.isInferenceMode();
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}

/** The number of tensor handles alive in the addon (not yet disposed or collected). */
export function liveTensors(): number {
  return native.liveCount();
}
