// A lease in Redis for a stage that many runs share (the unpoisoned baseline and its
// certificates, kept in the results folder's cache/): the first worker to need it takes the lease
// and computes it; the others wait until it is in the cache and copy it. The lease is a key with
// a time-to-live that its holder renews while it computes, so a holder that dies (or cannot reach
// Redis) loses it after `ttlMs`, and a waiter takes over: Redis's clock decides, not the hosts'.
// It only saves work: two workers computing the same stage both write the same entry safely.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { throwIfInterrupted } from '../util/interrupt.js';

/** Renews (or deletes) the key only while it still holds our token. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LeaseOptions {
  /** How long the lease lasts without renewal (ms); renewed every third of it. */
  ttlMs: number;
  /** How often a waiter tries again (ms). */
  pollMs?: number;
  /** The key prefix (one namespace per queue). */
  prefix: string;
  log?: (line: string) => void;
}

/** The runner's cacheLease (src/experiment/runner.ts): resolves to a release function once this process holds the lease of `key`. */
export function redisLease(client: Redis, o: LeaseOptions): (key: string) => Promise<() => void> {
  const me = `${hostname()}:${process.pid}`;
  return async (key: string) => {
    const redisKey = `${o.prefix}:lease:${key}`;
    const token = `${me}:${Date.now()}:${Math.random().toString(36).slice(2)}`;
    let said = false;
    for (;;) {
      throwIfInterrupted(`interrupted while waiting for ${key}`);
      if ((await client.set(redisKey, token, 'PX', o.ttlMs, 'NX')) === 'OK') break;
      if (!said) {
        const holder = (await client.get(redisKey)) ?? 'another worker';
        o.log?.(`${key}: computed by ${holder.split(':').slice(0, 2).join(':')} right now; waiting for it to reach the cache`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, o.pollMs ?? 500));
    }
    const timer = setInterval(() => {
      client.eval(RENEW, 1, redisKey, token, String(o.ttlMs)).catch(() => {}); // lost: the holder only saves work, the waiter recomputes
    }, Math.max(100, Math.floor(o.ttlMs / 3)));
    timer.unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      client.eval(RELEASE, 1, redisKey, token).catch(() => {});
    };
  };
}
