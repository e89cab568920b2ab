// The run folder's lock: who may take over a lock left behind, on this host and on another one.
// A queue job's earlier attempt (same job id, another lock token) is taken over wherever it ran;
// anything else on another host is honoured, since its pid cannot be checked from here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockRunFolder, RunFolderError } from '../../src/experiment/index.js';

const folder = () => mkdtempSync(join(tmpdir(), 'abstain-lock-'));
const holder = (dir: string) => JSON.parse(readFileSync(join(dir, '.lock'), 'utf8'));
const leave = (dir: string, lock: object) => writeFileSync(join(dir, '.lock'), JSON.stringify(lock) + '\n');
const DEAD_PID = 2 ** 22 + 12345; // above Linux's pid_max: never a live process

test('a second process is refused while the holder lives; a dead holder on this host is taken over', () => {
  const dir = folder();
  leave(dir, { pid: process.ppid, host: hostname(), started: 'earlier' });
  assert.throws(() => lockRunFolder(dir, 'test'), (e: Error) => e instanceof RunFolderError && /in use by process \d+ \(since earlier\)/.test(e.message));
  leave(dir, { pid: DEAD_PID, host: hostname() });
  const release = lockRunFolder(dir, 'test');
  assert.equal(holder(dir).pid, process.pid);
  release();
  assert.ok(!existsSync(join(dir, '.lock')));
});

test('another host: an earlier attempt of the same queue job is taken over; another job or a plain run is honoured', () => {
  const dir = folder();
  const elsewhere = { pid: DEAD_PID, host: 'another-host.example', started: 'earlier' };
  leave(dir, { ...elsewhere, job: { id: 'run-abc', token: 'old-token' } });
  const release = lockRunFolder(dir, 'worker', { id: 'run-abc', token: 'new-token' });
  assert.deepEqual(holder(dir).job, { id: 'run-abc', token: 'new-token' });
  assert.equal(holder(dir).host, hostname());
  release();

  leave(dir, { ...elsewhere, job: { id: 'run-other', token: 't' } });
  assert.throws(() => lockRunFolder(dir, 'worker', { id: 'run-abc', token: 'new-token' }), /in use by process \d+ on another-host\.example \(queue job run-other\)/);
  leave(dir, elsewhere);
  assert.throws(() => lockRunFolder(dir, 'worker', { id: 'run-abc', token: 'new-token' }), /in use by process \d+ on another-host\.example \(since earlier\); wait for it/);
  assert.throws(() => lockRunFolder(dir, 'run'), /on another-host\.example/, 'a local run cannot tell whether a remote holder lives');
  // The same token is the same attempt (this very process): never a reason to take over.
  leave(dir, { pid: process.ppid, host: hostname(), job: { id: 'run-abc', token: 'same' } });
  assert.throws(() => lockRunFolder(dir, 'worker', { id: 'run-abc', token: 'same' }), RunFolderError);
});

test('release removes only its own lock, not the one a later attempt took over', () => {
  const dir = folder();
  const release = lockRunFolder(dir, 'worker', { id: 'run-abc', token: 'first' });
  // Another worker takes the job over (the first one lost its lock in Redis) and the folder with it.
  leave(dir, { pid: process.pid, host: 'another-host.example', job: { id: 'run-abc', token: 'second' } });
  release();
  assert.equal(holder(dir).job.token, 'second', 'the first attempt, finishing late, leaves the new lock alone');
});
