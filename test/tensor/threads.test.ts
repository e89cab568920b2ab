// ABSTAIN_THREADS (issue 9): a value that is not a positive whole number falls back to the
// cores with a warning, and far more threads than cores are clamped with a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { MAX_THREADS_PER_CORE, threadsFor } from '../../src/tensor/threads.js';

test('threadsFor: unset or empty means the cores; bad values fall back with a warning; too many are clamped', () => {
  assert.deepEqual(threadsFor(undefined, 8), { threads: 8 });
  assert.deepEqual(threadsFor('', 8), { threads: 8 });
  assert.deepEqual(threadsFor('3', 8), { threads: 3 });
  assert.deepEqual(threadsFor(' 32 ', 8), { threads: 32 });
  for (const bad of ['0', '-3', 'abc', '2.5', '1e3', '0x10']) {
    const r = threadsFor(bad, 8);
    assert.equal(r.threads, 8, bad);
    assert.equal(r.warning, `ABSTAIN_THREADS=${bad} is not a positive whole number; using 8 threads (one per core)`, bad);
  }
  const many = threadsFor('100000', 2);
  assert.equal(many.threads, 2 * MAX_THREADS_PER_CORE);
  assert.equal(many.warning, `ABSTAIN_THREADS=100000 is more than ${MAX_THREADS_PER_CORE} threads per core (2 cores); using ${2 * MAX_THREADS_PER_CORE}`);
});

test('the engine applies it when it loads: the warning on stderr, and the thread count libtorch uses', () => {
  const url = new URL('../../src/tensor/index.js', import.meta.url).href;
  const threads = (value: string) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const t = await import(${JSON.stringify(url)}); console.log(t.getNumThreads());`], {
      encoding: 'utf8',
      env: { ...process.env, ABSTAIN_THREADS: value },
    });
    assert.equal(r.status, 0, r.stderr);
    return { n: Number(r.stdout.trim()), err: r.stderr };
  };
  const cores = availableParallelism();
  const huge = threads('100000');
  assert.equal(huge.n, MAX_THREADS_PER_CORE * cores);
  assert.match(huge.err, /^abstain: warning: ABSTAIN_THREADS=100000 is more than \d threads per core/);
  const abc = threads('abc');
  assert.equal(abc.n, cores);
  assert.match(abc.err, /ABSTAIN_THREADS=abc is not a positive whole number/);
  const one = threads('1');
  assert.equal(one.n, 1);
  assert.equal(one.err, '');
});
