/**
 * ERP API keys, one or more per training organisation (dossier-apprenant-v3.md: "one key per
 * training organisation"). A key is 32 random bytes shown once at creation (`tdb keys create`);
 * Redis keeps only its SHA-256 (a high-entropy random secret needs no slow hash) in the hash
 * `redisKeys(ns).apiKeys`: field = hex digest, value = JSON ApiKeyRecord.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from '../../infra/redis/client';
import { normaliseSiret, normaliseUai } from '../core/normalise/identifiants';

export interface ApiKeyRecord {
  /** Public id of the key (to list and revoke it), never the secret. */
  id: string;
  uai: string;
  siret: string;
  /** The ERP the organisation uses (informative: goes into the events' source.erp). */
  erp: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** Prefix of every key (recognisable in logs and secret scanners). */
export const KEY_PREFIX = 'tdb_';

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export interface ApiKeyStore {
  /** Creates a key for (uai, siret), checked for format and check digits; returns the key once. */
  create(o: {
    uai: string;
    siret: string;
    erp?: string | null;
    now: number;
  }): Promise<{ key: string; record: ApiKeyRecord }>;
  /** The record of a presented key, or null (unknown). Revoked keys are returned with revoked_at. */
  lookup(key: string): Promise<ApiKeyRecord | null>;
  /** Marks the key with this id revoked; false when no such key. */
  revoke(id: string, now: number): Promise<boolean>;
  list(): Promise<ApiKeyRecord[]>;
}

export function redisApiKeyStore(redis: Redis, hashName: string): ApiKeyStore {
  return {
    async create({ uai, siret, erp, now }) {
      const record: ApiKeyRecord = {
        id: randomUUID(),
        uai: normaliseUai('uai', uai).value,
        siret: normaliseSiret('siret', siret).value,
        erp: erp ?? null,
        created_at: new Date(now).toISOString(),
        revoked_at: null,
      };
      const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      await redis.hset(hashName, hashKey(key), JSON.stringify(record));
      return { key, record };
    },
    async lookup(key) {
      const v = await redis.hget(hashName, hashKey(key));
      return v ? (JSON.parse(v) as ApiKeyRecord) : null;
    },
    async revoke(id, now) {
      const all = await redis.hgetall(hashName);
      for (const [h, v] of Object.entries(all)) {
        const r = JSON.parse(v) as ApiKeyRecord;
        if (r.id !== id) continue;
        r.revoked_at ??= new Date(now).toISOString();
        await redis.hset(hashName, h, JSON.stringify(r));
        return true;
      }
      return false;
    },
    async list() {
      const all = await redis.hgetall(hashName);
      return Object.values(all)
        .map((v) => JSON.parse(v) as ApiKeyRecord)
        .sort((a, b) => a.created_at.localeCompare(b.created_at));
    },
  };
}
