/**
 * The CDC state of each record, in Redis (hash `redisKeys(ns).fingerprints`, field = record key):
 * `layout|version|full fingerprint|field hashes|person key|flags`. Read in bulk (HMGET) per chunk,
 * written (HSET, one round trip per chunk) only after the broker acknowledged the events, so that a
 * crash in between re-emits the same image with the same version (the processor is idempotent by
 * version). Flag `N`: the record was reported NOT_TRANSMITTED by a full snapshot and has not come
 * back since.
 *
 * Snapshot membership (full-snapshot connectors): a Redis set of record keys per organisation
 * and school year (`redisKeys(ns).snapshotMembers`).
 */
import type { Redis } from '../../infra/redis/client';
import type { Fingerprint } from './fingerprint';

export interface RecordState {
  layout: number;
  version: number;
  fingerprint: Fingerprint;
  personKey: string | null;
  notTransmitted: boolean;
}

export function encodeState(s: RecordState): string {
  return `${s.layout}|${s.version}|${s.fingerprint.full}|${s.fingerprint.fields}|${s.personKey ?? ''}|${s.notTransmitted ? 'N' : ''}`;
}

export function decodeState(text: string | null): RecordState | null {
  if (!text) return null;
  const [layout, version, full, fields, personKey, flags] = text.split('|');
  return {
    layout: Number(layout),
    version: Number(version),
    fingerprint: { full: full ?? '', fields: fields ?? '' },
    personKey: personKey || null,
    notTransmitted: flags === 'N',
  };
}

export interface StateStore {
  /** States of `keys`, in order (null: never seen). */
  read(keys: readonly string[]): Promise<(RecordState | null)[]>;
  /** Writes states in one round trip. */
  write(states: ReadonlyMap<string, RecordState>): Promise<void>;
  /** Members of the last snapshot of (organisation, year). */
  snapshotMembers(organisation: string, annee: string): Promise<string[]>;
  /** Replaces the members of (organisation, year) atomically. */
  replaceSnapshot(organisation: string, annee: string, members: readonly string[]): Promise<void>;
}

export function redisStateStore(
  redis: Redis,
  keys: { fingerprints: string; snapshotMembers: (o: string, a: string) => string },
): StateStore {
  return {
    async read(recordKeys) {
      if (recordKeys.length === 0) return [];
      const values = await redis.hmget(keys.fingerprints, ...recordKeys);
      return values.map(decodeState);
    },
    async write(states) {
      if (states.size === 0) return;
      const flat: string[] = [];
      for (const [k, s] of states) flat.push(k, encodeState(s));
      await redis.hset(keys.fingerprints, ...flat);
    },
    snapshotMembers: (o, a) => redis.smembers(keys.snapshotMembers(o, a)),
    async replaceSnapshot(o, a, members) {
      const key = keys.snapshotMembers(o, a);
      const tx = redis.multi().del(key);
      for (let i = 0; i < members.length; i += 10_000) tx.sadd(key, ...members.slice(i, i + 10_000));
      await tx.exec();
    },
  };
}
