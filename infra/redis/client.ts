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
    /** Prefix of the rate-limit counters of the ingestion routes, per API key. */
    rateLimit: `${ns}:ratelimit:`,
    /** Sorted set: revoked read-API token id (jti) → revocation instant (api/auth/revocations.ts). */
    revokedTokens: `${ns}:tokens:revoques`,
    /** Counter bumped at every revocation: API processes re-read the set only when it moved. */
    revokedTokensVersion: `${ns}:tokens:revoques:version`,
    /** Prefix of the failed-authentication counters per client address (api/plugins/auth-failures.ts). */
    authFailures: `${ns}:auth-echecs:`,
    /** Mission Locale alert service (streams/alert-inbox/README.md): every key under `ml:`. */
    ml: mlKeys(`${ns}:ml:`),
  };
}

/**
 * Keys of the Mission Locale alert service. `prefix` is also given to its Lua scripts, which build
 * the per-alert and per-Mission-Locale keys from it the same way (streams/alert-inbox/scripts.ts).
 */
function mlKeys(prefix: string) {
  return {
    prefix,
    /** Hash: one alert (non-personal fields in clear, contact still sealed, follow-up, closure). */
    alerte: (alertId: string) => `${prefix}alerte:${alertId}`,
    /** List: follow-up history of one alert (JSON entries, comments sealed). */
    historique: (alertId: string) => `${prefix}historique:${alertId}`,
    /** Sorted sets per Mission Locale: open / closed alert ids by urgency then recency. */
    ouvertes: (ml: string) => `${prefix}ouvertes:${ml}`,
    fermees: (ml: string) => `${prefix}fermees:${ml}`,
    /** Hash per Mission Locale: alert id → compact summary (filters and counts without reading each alert). */
    resume: (ml: string) => `${prefix}resume:${ml}`,
    /** Stream per Mission Locale: the journal of its events (SSE ids, webhook cursor). */
    flux: (ml: string) => `${prefix}flux:${ml}`,
    /** Set: open alert ids of one learner record. */
    dossierOuvertes: (recordKey: string) => `${prefix}dossier:${recordKey}:ouvertes`,
    /** Hash: the record's latest closing transition (new contract, end of training), expiring. */
    dossierFermeture: (recordKey: string) => `${prefix}dossier:${recordKey}:fermeture`,
    /** Sorted set: closed alert id → closing instant (retention sweep). */
    fermetures: `${prefix}fermetures`,
    /** Sorted set: open alert id → creation instant (expiry sweep). */
    ouverturesGlobales: `${prefix}ouvertures`,
    /** Sorted set: deleted alert id → deletion instant (a redelivered deleted alert stays deleted). */
    supprimees: `${prefix}supprimees`,
    /** Set of the Mission Locale ids that have alerts. */
    missionsLocales: `${prefix}index`,
    /** Pub/sub channel: a Mission Locale id whose journal has new entries. */
    notifications: `${prefix}notifications`,
    /** Hash: webhook of a Mission Locale (url, sealed secret). */
    webhook: (ml: string) => `${prefix}webhook:${ml}`,
    /** Set of the Mission Locale ids with a webhook. */
    webhooks: `${prefix}webhooks`,
    /** String: journal id of the last event delivered to the webhook. */
    webhookCurseur: (ml: string) => `${prefix}webhook:${ml}:curseur`,
    /** Stream: delivery log of the webhook (capped). */
    webhookLivraisons: (ml: string) => `${prefix}webhook:${ml}:livraisons`,
    /** String: the dispatcher holding the webhook (lock with expiry). */
    webhookVerrou: (ml: string) => `${prefix}webhook:${ml}:verrou`,
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
