// The Redis that carries a pool's job queue: its address as given on the command line
// (`--queue redis://HOST:PORT[/DB]`), checked before anything is sent, and a first connection
// that fails in seconds with one line instead of ioredis retrying forever.
import { Redis } from 'ioredis';

/** Every job of every grid goes to this BullMQ queue; a pool is one Redis database (the /DB of the URL). */
export const QUEUE_NAME = 'abstain-runs';

/** A user-facing failure of the queue (bad URL, Redis unreachable): one line, exit code 1. */
export class QueueError extends Error {
  override name = 'QueueError';
}

export interface QueueAddress {
  /** The URL as given (without a password, for messages). */
  display: string;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
}

/** Parses redis://[user:password@]HOST:PORT[/DB] (or rediss:// for TLS); anything else is one clear line. */
export function parseQueueUrl(url: string): QueueAddress {
  const fix = 'give redis://HOST:PORT or redis://HOST:PORT/DB, e.g. --queue redis://127.0.0.1:6379/0';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(`--queue ${url}: not a URL; ${fix}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new QueueError(`--queue ${url}: the scheme must be redis:// (or rediss:// for TLS), not ${u.protocol}//; ${fix}`);
  if (!u.hostname) throw new QueueError(`--queue ${url}: no host; ${fix}`);
  const port = u.port ? Number(u.port) : 6379;
  const path = u.pathname.replace(/^\/+|\/+$/g, '');
  if (path && !/^\d+$/.test(path)) throw new QueueError(`--queue ${url}: "/${path}" is not a database number; ${fix}`);
  const db = path ? Number(path) : 0;
  if (u.search || u.hash) throw new QueueError(`--queue ${url}: query strings and fragments are not understood; ${fix}`);
  const hidden = new URL(url);
  if (hidden.password) hidden.password = '***';
  return {
    display: hidden.toString(),
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    tls: u.protocol === 'rediss:',
  };
}

/** What BullMQ and ioredis both take as connection options. */
export interface ConnectionFields {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: object;
  maxRetriesPerRequest: null;
}

/**
 * ioredis options for BullMQ. Workers and queues keep reconnecting when Redis goes away
 * (maxRetriesPerRequest null, as BullMQ requires for workers), so a restarted Redis is picked
 * up again; use checkRedis first to fail fast when it is not there at all.
 */
export function redisOptions(a: QueueAddress): ConnectionFields {
  return {
    host: a.host,
    port: a.port,
    db: a.db,
    username: a.username,
    password: a.password,
    ...(a.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Connects once, with no retries, and pings: resolves when Redis answers, else one line naming the address and the fix. */
export async function checkRedis(a: QueueAddress, timeoutMs = 5000): Promise<void> {
  const client = new Redis({ ...redisOptions(a), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  client.on('error', () => {}); // reported below, once
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, ' ');
    throw new QueueError(`--queue ${a.display}: cannot reach Redis (${why}); start it (redis-server --port ${a.port}) or fix the address`);
  } finally {
    client.disconnect();
  }
}
