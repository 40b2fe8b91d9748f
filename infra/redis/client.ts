/** The Redis client (ioredis) and the platform's key names, all under the namespace prefix. */
import Redis from 'ioredis';
import type { Config } from '../config';

export type { Redis };

export function createRedis(c: Config): Redis {
  return new Redis(c.redisUrl, { maxRetriesPerRequest: 20, enableAutoPipelining: true, lazyConnect: false });
}

/** Every Redis key of a namespace (one place, so `reset` and tests can find them all). */
export function redisKeys(ns: string) {
  return {
    prefix: `${ns}:`,
    /** Hash record_key → CDC fingerprint and version of the last emitted image. */
    fingerprints: `${ns}:cdc:fingerprints`,
    /** Set of record keys seen per organisation and year (full-snapshot connectors). */
    snapshotMembers: (organisation: string, annee: string) => `${ns}:cdc:snapshot:${organisation}:${annee}`,
    /** Processor state of one learner record. */
    learnerState: (recordKey: string) => `${ns}:state:${recordKey}`,
    /** Sorted set record_key → next day (day number) a status changes by time alone. */
    schedule: `${ns}:schedule`,
    /** Processor batch in flight per partition (exactly-once recovery). */
    pendingBatch: (topic: string, partition: number) => `${ns}:pending:${topic}:${partition}`,
    /** Sorted set per partition of the change topic: record_key → next due day (stream processor's scheduler). */
    scheduleOf: (partition: number) => `${ns}:schedule:${partition}`,
    /** Hashed ERP API keys. */
    apiKeys: `${ns}:apikeys`,
  };
}

/** Deletes every key of a namespace (tests and `reset`). */
export async function deleteNamespaceKeys(redis: Redis, ns: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
