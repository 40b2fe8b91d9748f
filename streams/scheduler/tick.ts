/**
 * The scheduler: statuses change with time alone (status-rules.md: ABANDON after 90 or 180 days
 * without contract, FIN_DE_FORMATION, a rupture date reached, the INSCRIT early warning). Each
 * partition of the change topic has a Redis sorted set (`schedule:<partition>`) of record keys
 * scored by their next due day (nextDueDay). A tick pops the members due on or before today (the
 * injectable clock), announces the transitions (cause ELAPSED_TIME) and the alerts, writes the
 * transition facts and the refreshed `dossiers` row (same version: statut_en_cours), and
 * reschedules. The intervals and deltas never change: the parcours was already projected.
 *
 * A tick only writes idempotent facts (ReplacingMergeTree, deterministic ids); it runs under the
 * processor's lock, never concurrently with a batch of the same process, and resolves a pending
 * batch of the partition first so that it never works on states about to be replaced.
 */
import { randomUUID } from 'node:crypto';
import type { PipelineDeps } from '../processor/batch';
import { produceOutputs } from '../processor/batch';
import { dossierRow, transitionRow, type DossierRow } from '../processor/facts';
import { advanceTime, emptyOutputs } from '../processor/learner';
import { recoverPending } from '../processor/pending';
import { decodeState, encodeState } from '../processor/state';
import { nextDueDay } from './due';

export interface TickStats {
  due: number;
  transitions: number;
  alerts: number;
}

/** Learners handled per round trip. */
const CHUNK = 2_000;

/** Runs the due changes of `partitions` of the change topic `topic`, up to today. */
export async function runSchedulerTick(
  deps: PipelineDeps,
  topic: string,
  partitions: readonly number[],
): Promise<TickStats> {
  const { ctx, log } = deps;
  const { redis, clickhouse: ch, keys } = ctx;
  const stats: TickStats = { due: 0, transitions: 0, alerts: 0 };
  for (const partition of partitions) {
    const pendingKey = keys.pendingBatch(topic, partition);
    const leftover = await redis.get(pendingKey);
    if (leftover !== null) {
      const outcome = await recoverPending(redis, ch, deps.sink, pendingKey, leftover);
      log.warn({ topic, partition, outcome }, `pending batch left behind: ${outcome}`);
    }
    const scheduleKey = keys.scheduleOf(partition);
    for (;;) {
      const env = deps.env();
      const members = await redis.zrangebyscore(scheduleKey, '-inf', env.today, 'LIMIT', 0, CHUNK);
      if (members.length === 0) break;
      const raw = await redis.mget(...members.map((k) => keys.learnerState(k)));
      const out = emptyOutputs();
      const dossiers: DossierRow[] = [];
      const encoded: [string, string][] = [];
      const add: [number, string][] = [];
      const remove: string[] = [];
      const departement = new Map<string, string>();
      members.forEach((key, i) => {
        const s = decodeState(raw[i] ?? null);
        if (!s) {
          remove.push(key);
          return;
        }
        const statut = s.statut;
        advanceTime(key, s, env, out);
        if (s.statut !== statut) {
          const row = dossierRow(key, s, env.today, env.nowMs);
          if (row) dossiers.push(row);
        }
        departement.set(key, s.rec?.dims.departement ?? '');
        encoded.push([keys.learnerState(key), encodeState(s)]);
        const due = nextDueDay(s, env.today, env.alerts.inscritJours);
        if (due === null) remove.push(key);
        else add.push([due, key]);
      });
      const tickId = `tick-${randomUUID()}`;
      await Promise.all([
        deps.sink.insert('dossiers', dossiers, `${tickId}-dossiers`),
        deps.sink.insert(
          'transitions',
          out.transitions.map((t) => transitionRow(t, departement.get(t.record_key) ?? '')),
          `${tickId}-transitions`,
        ),
        produceOutputs(deps, out, () => `schedule:${partition}`),
      ]);
      const m = redis.multi();
      if (encoded.length > 0) m.mset(...encoded.flat());
      if (add.length > 0) m.zadd(scheduleKey, ...add.flatMap(([d, k]) => [d, k]));
      if (remove.length > 0) m.zrem(scheduleKey, ...remove);
      await m.exec();
      stats.due += members.length;
      stats.transitions += out.transitions.length;
      stats.alerts += out.alerts.length;
      if (members.length < CHUNK) break;
    }
  }
  return stats;
}
