/**
 * One batch of change events of one partition, end to end (README.md, "Processing loop"):
 * resolve a pending batch left behind, decode, load the states (one MGET), apply each event
 * (learner.ts), derive the facts, write the pending record, insert the idempotent facts, produce
 * the transitions, alerts and rejections, insert the signed deltas (commit point), apply the
 * states. The caller commits the offsets afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Context } from '../../infra/context';
import { sealJson } from '../../infra/crypto';
import { isRetriable } from '../../infra/errors';
import type { EventCodec } from '../../infra/kafka/codec';
import type { DossierApprenantChange } from '../../schemas/generated/DossierApprenantChange';
import type { RejectedRecord } from '../../schemas/generated/RejectedRecord';
import { NO_DIMENSIONS, sameDimensions } from '../facts/dimensions';
import { deltaRows, intervalRows, type Contribution, type DeltaRow, type IntervalRow } from '../facts/rows';
import { nextDueDay } from '../scheduler/due';
import { isoFromDay } from '../status/calendar';
import { dossierRow, transitionRow, type DossierRow } from './facts';
import { applyChange, emptyOutputs, type LearnerEnv, type LearnerOutputs } from './learner';
import { applyStateUpdates, deltasQueryId, pendingJson, recoverPending } from './pending';
import type { FactSink } from './sink';
import { contributionOf, decodeState, encodeState, type LearnerState } from './state';

/** Messages for one topic (the shape of kafkajs's sendBatch). */
export interface TopicMessages {
  topic: string;
  messages: { key: string; value: Buffer }[];
}

export interface PipelineDeps {
  ctx: Context;
  codec: EventCodec;
  /**
   * Produces transitions, alerts and rejections (one call per batch; calls must be serialised:
   * kafkajs's idempotent producer can lose messages sent concurrently, tulios/kafkajs#1005);
   * null: nothing is produced (replay).
   */
  publish: ((topicMessages: TopicMessages[]) => Promise<void>) | null;
  /** The environment of a batch (the clock is read once per batch). */
  env(): LearnerEnv;
  /** The ClickHouse write path (TabSeparated inserts with query ids). */
  sink: FactSink;
  log: Logger;
}

export interface BatchStats {
  events: number;
  applied: number;
  /** Events whose version was not above the state's (redeliveries): no effect. */
  skipped: number;
  rejected: number;
  transitions: number;
  alerts: number;
  deltaRows: number;
  recovered?: 'applied' | 'dropped';
}

export interface BatchMessage {
  offset: string;
  value: Buffer | null;
}

function sameContribution(a: Contribution | null, b: Contribution | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.intervals.length !== b.intervals.length) return false;
  for (let i = 0; i < a.intervals.length; i++) {
    const x = a.intervals[i]!;
    const y = b.intervals[i]!;
    if (x.valeur !== y.valeur || x.debut !== y.debut || x.fin !== y.fin) return false;
  }
  return sameDimensions(a.dims, b.dims);
}

/**
 * The marker row of a batch: proves the batch's single delta insert landed; counts nothing (delta 0,
 * not reliable, no record). Dated on the processing day, a partition the batch writes anyway.
 */
export function markerRow(batchId: string, jour: string): DeltaRow {
  return {
    ...NO_DIMENSIONS,
    jour,
    statut: 'INSCRIT',
    delta: 0 as unknown as 1,
    record_key: '',
    version: 0,
    batch_id: batchId,
  };
}

/** An event as JSON for the dead-letter topic (the identity stays sealed, as base64). */
function jsonableEvent(ev: DossierApprenantChange): unknown {
  return ev.after
    ? {
        ...ev,
        after: { ...ev.after, identite_chiffree: Buffer.from(ev.after.identite_chiffree).toString('base64') },
      }
    : ev;
}

export async function produceOutputs(
  deps: PipelineDeps,
  out: LearnerOutputs,
  location: (ev: DossierApprenantChange) => string,
): Promise<void> {
  if (!deps.publish) return;
  const { codec, ctx } = deps;
  const [transitions, alerts, rejected] = await Promise.all([
    Promise.all(
      out.transitions.map(async (t) => ({ key: t.record_key, value: await codec.encode('transitions', t) })),
    ),
    Promise.all(out.alerts.map(async (a) => ({ key: a.record_key, value: await codec.encode('alerts', a) }))),
    Promise.all(
      out.rejected.map(async ({ event, errors }) => {
        const r: RejectedRecord = {
          event_id: event.event_id,
          ingestion_time: event.ingestion_time,
          connector: event.source.connector,
          organisme_uai: event.source.organisme_uai,
          organisme_siret: event.source.organisme_siret,
          location: location(event),
          errors,
          input_chiffre: sealJson(ctx.secrets.dataKey, jsonableEvent(event)),
        };
        return { key: event.record_key, value: await codec.encode('deadLetter', r) };
      }),
    ),
  ]);
  const topicMessages = [
    { topic: ctx.topics.transitions, messages: transitions },
    { topic: ctx.topics.alerts, messages: alerts },
    { topic: ctx.topics.deadLetter, messages: rejected },
  ].filter((t) => t.messages.length > 0);
  if (topicMessages.length > 0) await deps.publish(topicMessages);
}

/**
 * Processes one batch of `topic`/`partition` (a change topic: `changes`, or `latest` in replays).
 * Throws on any I/O failure: the caller must not commit, and the batch is processed again (the
 * pending record makes that safe).
 */
export async function processChangeBatch(
  deps: PipelineDeps,
  topic: string,
  partition: number,
  messages: readonly BatchMessage[],
): Promise<BatchStats> {
  const { ctx, codec, log } = deps;
  const { redis, clickhouse: ch, keys } = ctx;
  const pendingKey = keys.pendingBatch(topic, partition);
  const scheduleKey = keys.scheduleOf(partition);
  const stats: BatchStats = {
    events: messages.length,
    applied: 0,
    skipped: 0,
    rejected: 0,
    transitions: 0,
    alerts: 0,
    deltaRows: 0,
  };

  const timing: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timing[name] = Math.round(now - mark);
    mark = now;
  };
  const leftover = await redis.get(pendingKey);
  if (leftover !== null) {
    stats.recovered = await recoverPending(redis, ch, deps.sink, pendingKey, leftover);
    log.warn({ topic, partition, outcome: stats.recovered }, `pending batch left behind: ${stats.recovered}`);
  }

  const out = emptyOutputs();
  const offsets = new Map<DossierApprenantChange, string>();
  const events: DossierApprenantChange[] = [];
  await Promise.all(
    messages.map(async (m, i) => {
      if (m.value === null) return; // a tombstone of the compacted topic: nothing to apply
      try {
        events[i] = await codec.decode<DossierApprenantChange>(m.value);
        offsets.set(events[i]!, m.offset);
      } catch (err) {
        // The registry unreachable (retriable, infra/errors.ts): the batch fails and comes again.
        if (isRetriable(err)) throw err;
        log.error(
          { topic, partition, offset: m.offset, err: (err as Error).message },
          'undecodable change event: skipped',
        );
      }
    }),
  );

  lap('decode');
  const recordKeys = [...new Set(events.filter(Boolean).map((e) => e.record_key))];
  const raw = recordKeys.length > 0 ? await redis.mget(...recordKeys.map((k) => keys.learnerState(k))) : [];
  const before = new Map<string, LearnerState | null>();
  recordKeys.forEach((k, i) => before.set(k, decodeState(raw[i] ?? null)));
  const current = new Map(before);
  const ingestion = new Map<string, number>();

  lap('mget');
  const env = deps.env();
  for (const ev of events) {
    if (!ev) continue;
    const prev = current.get(ev.record_key) ?? null;
    if (prev && ev.version <= prev.v) {
      stats.skipped++;
      continue;
    }
    current.set(ev.record_key, applyChange(prev, ev, partition, env, out));
    ingestion.set(ev.record_key, ev.ingestion_time);
    stats.applied++;
  }

  const batchId = randomUUID();
  const markerDay = isoFromDay(env.today);
  const deltas: DeltaRow[] = [markerRow(batchId, markerDay)];
  const intervals: IntervalRow[] = [];
  const dossiers: DossierRow[] = [];
  const encoded: [string, string][] = [];
  const add: [number, string][] = [];
  const remove: string[] = [];
  for (const [key, ingestedAt] of ingestion) {
    const prev = before.get(key) ?? null;
    const cur = current.get(key)!;
    const was = contributionOf(prev);
    const now = contributionOf(cur);
    if (!sameContribution(was, now)) {
      for (const r of deltaRows(key, cur.v, batchId, was, now)) deltas.push(r);
      for (const r of intervalRows(key, cur.v, now, prev?.slots ?? 0)) intervals.push(r);
      cur.slots = now?.intervals.length ?? 0;
    }
    const row = dossierRow(key, cur, env.today, ingestedAt);
    if (row) dossiers.push(row);
    encoded.push([keys.learnerState(key), encodeState(cur)]);
    const due = nextDueDay(cur, env.today, env.alerts.inscritJours);
    if (due === null) remove.push(key);
    else add.push([due, key]);
  }
  stats.deltaRows = deltas.length - 1;
  stats.transitions = out.transitions.length;
  stats.alerts = out.alerts.length;
  stats.rejected = out.rejected.length;
  if (encoded.length === 0) return stats; // only redeliveries: nothing to write

  lap('compute');
  const departementOf = (key: string) => current.get(key)?.rec?.dims.departement ?? '';
  await redis.set(pendingKey, pendingJson(batchId, markerDay, scheduleKey, encoded, add, remove));
  lap('pending');
  const { sink } = deps;
  await Promise.all([
    sink.insert('dossiers', dossiers, `${batchId}-dossiers`),
    sink.insert('statut_intervalles', intervals, `${batchId}-intervalles`),
    deps.publish
      ? sink.insert(
          'transitions',
          out.transitions.map((t) => transitionRow(t, departementOf(t.record_key))),
          `${batchId}-transitions`,
        )
      : Promise.resolve(),
    produceOutputs(deps, out, (ev) => `${topic}[${partition}]@${offsets.get(ev) ?? '?'}`),
  ]);
  lap('facts');
  await sink.insert('effectifs_deltas', deltas, deltasQueryId(batchId)); // the commit point
  lap('deltas');
  const fault = ctx.config.TDB_FAULT_KILL_AFTER_DELTAS;
  if (fault > 0 && Math.random() < fault) {
    log.warn({ batchId }, 'fault injection: SIGKILL after the delta insert');
    process.kill(process.pid, 'SIGKILL');
  }
  await applyStateUpdates(redis, pendingKey, scheduleKey, encoded, add, remove);
  lap('state');
  log.debug(
    {
      partition,
      events: messages.length,
      deltaRows: deltas.length,
      intervalRows: intervals.length,
      ms: timing,
    },
    'batch',
  );
  return stats;
}
