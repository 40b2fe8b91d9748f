/**
 * The exactly-once protocol of the signed deltas (README.md, "Exactly-once"): a batch's state
 * updates are first written as a "pending batch" record per partition, the batch's delta rows are
 * inserted in ONE ClickHouse insert carrying the batch id (the commit point), then the state
 * updates are applied and the pending record deleted in one MULTI. On the next batch of the
 * partition (after a crash, a rebalance, or a failed attempt), a pending record left behind is
 * resolved by asking ClickHouse whether the batch landed: apply it if it did, drop it if not (the
 * uncommitted messages are then processed again from the old states).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouse } from '../../infra/clickhouse/client';
import type { Redis } from '../../infra/redis/client';
import type { FactSink } from './sink';
import { decodeState } from './state';

/** One pending batch as stored in Redis (`pending:<topic>:<partition>`). */
export interface PendingBatch {
  /** Batch id (UUID), carried by every delta row of the batch and by its marker row. */
  b: string;
  /** Day of the marker row (YYYY-MM-DD). */
  m: string;
  /** Schedule sorted set of the partition. */
  z: string;
  /** State key → encoded state. */
  s: Record<string, unknown>;
  /** Schedule members to add: [due day, record key]. */
  a: [number, string][];
  /** Schedule members to remove. */
  r: string[];
}

const BATCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The pending record's JSON, built around the already-encoded states (no second serialisation of
 * the states on the hot path).
 */
export function pendingJson(
  batchId: string,
  markerDay: string,
  scheduleKey: string,
  encodedStates: readonly [string, string][],
  add: readonly [number, string][],
  remove: readonly string[],
): string {
  const states = encodedStates.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',');
  return `{"b":${JSON.stringify(batchId)},"m":${JSON.stringify(markerDay)},"z":${JSON.stringify(scheduleKey)},"s":{${states}},"a":${JSON.stringify(add)},"r":${JSON.stringify(remove)}}`;
}

/** Applies state updates and schedule changes and deletes the pending record, atomically (MULTI). */
export async function applyStateUpdates(
  redis: Redis,
  pendingKey: string,
  scheduleKey: string,
  encodedStates: readonly [string, string][],
  add: readonly [number, string][],
  remove: readonly string[],
): Promise<void> {
  const m = redis.multi();
  if (encodedStates.length > 0) m.mset(...encodedStates.flat());
  if (add.length > 0) m.zadd(scheduleKey, ...add.flatMap(([due, key]) => [due, key]));
  if (remove.length > 0) m.zrem(scheduleKey, ...remove);
  m.del(pendingKey);
  const res = await m.exec();
  const failed = res?.find(([err]) => err);
  if (!res || failed)
    throw new Error(`redis MULTI of the state updates failed: ${failed ? String(failed[0]) : 'aborted'}`);
}

/** query_id of a batch's delta insert (sink.ts): lets a restarted processor see it still running. */
export const deltasQueryId = (batchId: string) => `${batchId}-deltas`;

/** Waits until the batch's delta insert is no longer running (a killed process's insert finishes or dies first). */
async function waitForDeltaInsert(sink: FactSink, batchId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await sink.running(deltasQueryId(batchId))) {
    if (Date.now() > deadline)
      throw new Error(`the delta insert of batch ${batchId} is still running after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * Whether the batch's delta rows landed: its marker row (statut INSCRIT, delta 0, on `markerDay`)
 * is there; one insert is one atomic block. The lookup uses the table's sorting key (statut, jour).
 */
export async function batchLanded(ch: ClickHouse, batchId: string, markerDay: string): Promise<boolean> {
  const [row] = await ch.query<{ n: string }>(batchLandedSql(ch.database, batchId, markerDay));
  return Number(row?.n ?? 0) > 0;
}

/** The query of batchLanded: one row (n), the number of marker rows of the batch (0 or 1). */
export function batchLandedSql(database: string, batchId: string, markerDay: string): string {
  if (!BATCH_ID.test(batchId)) throw new Error(`not a batch id: ${batchId}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(markerDay)) throw new Error(`not a day: ${markerDay}`);
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(database)) throw new Error(`not a database name: ${database}`);
  return `SELECT count() AS n FROM ${database}.effectifs_deltas WHERE statut = 'INSCRIT' AND jour = toDate('${markerDay}') AND batch_id = '${batchId}'`;
}

export type Recovery = 'applied' | 'dropped';

/** Resolves a pending batch left behind (see the module comment). */
export async function recoverPending(
  redis: Redis,
  ch: ClickHouse,
  sink: FactSink,
  pendingKey: string,
  raw: string,
): Promise<Recovery> {
  const p = JSON.parse(raw) as PendingBatch;
  await waitForDeltaInsert(sink, p.b);
  if (await batchLanded(ch, p.b, p.m)) {
    const states = Object.entries(p.s).map(([k, v]): [string, string] => [k, JSON.stringify(v)]);
    // Sanity: what is applied must be states.
    for (const [, v] of states) decodeState(v);
    await applyStateUpdates(redis, pendingKey, p.z, states, p.a, p.r);
    return 'applied';
  }
  await redis.del(pendingKey);
  return 'dropped';
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { batchLandedSql };
