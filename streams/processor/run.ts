/**
 * `tdb processor run`: the stream processor as a member of the consumer group
 * `${TDB_NAMESPACE}.processor` over the change topic (and the transmission reports), with the
 * scheduler's tick. Partitions are processed concurrently (TDB_PROCESSOR_CONCURRENCY), one batch
 * at a time per partition (a lock per partition shared with the tick); offsets are committed only
 * after the state and facts of the batch are written.
 */
import type { Logger } from 'pino';
import type { Context } from '../../infra/context';
import {
  ACKS_ALL,
  createConsumer,
  createIdempotentProducer,
  type Consumer,
  type Producer,
} from '../../infra/kafka/client';
import { logger } from '../../infra/log';
import type { TransmissionReport } from '../../schemas/generated/TransmissionReport';
import { emptyMissionsLocales, loadMissionsLocales } from '../alerts/missions-locales';
import type { AlertSettings } from '../alerts/rules';
import { runSchedulerTick } from '../scheduler/tick';
import { processChangeBatch, type BatchStats, type PipelineDeps, type TopicMessages } from './batch';
import { chDateTime } from './facts';
import { createFactSink } from './sink';
import type { LearnerEnv } from './learner';

/** A promise-chain lock: batches and ticks of one process never interleave. */
export function createLock() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

export function alertSettings(ctx: Context, log: Logger): AlertSettings {
  const file = ctx.config.TDB_MISSIONS_LOCALES_CSV;
  const missionsLocales = file ? loadMissionsLocales(file) : emptyMissionsLocales();
  if (!file)
    log.warn(
      'TDB_MISSIONS_LOCALES_CSV is not set: every dropout alert goes to the unassigned queue of its département',
    );
  return {
    inscritJours: ctx.config.TDB_ALERTE_INSCRIT_JOURS,
    ruptureGraceJours: ctx.config.TDB_ALERTE_RUPTURE_GRACE_JOURS,
    missionsLocales,
    dataKey: ctx.secrets.dataKey,
    departementOfCommune: (c) => ctx.territoires.departementOfCommune(c),
  };
}

/** The environment of each batch: the clock is read once per batch (TDB_CLOCK may be a file a test rewrites). */
export function envFactory(ctx: Context, alerts: AlertSettings, announce: boolean): () => LearnerEnv {
  const refs = { territoires: ctx.territoires, organismes: ctx.organismes };
  return () => ({ today: ctx.clock.today(), nowMs: ctx.clock.now(), refs, alerts, announce });
}

/** The `transmissions` row of a transmission report (JSONEachRow insert). */
export function transmissionRow(r: TransmissionReport) {
  return {
    batch_id: r.batch_id,
    received_at: chDateTime(r.received_at),
    organisme_uai: r.organisme_uai,
    organisme_siret: r.organisme_siret,
    connector: r.connector,
    erp: r.erp ?? '',
    recus: r.recus,
    acceptes: r.acceptes,
    rejetes: r.rejetes,
    inchanges: r.inchanges,
    crees: r.crees,
    modifies: r.modifies,
    non_transmis: r.non_transmis,
  };
}

/** The builders of this module (test/chdb runs each on ClickHouse 18.16 and current ClickHouse). */
export const SQL_BUILDERS = { transmissionRow };

export interface ProcessorHandle {
  /** Totals since the start. */
  readonly totals: BatchStats & { batches: number };
  /** Scheduler ticks completed since the start. */
  ticks(): number;
  /** Resolves when the consumer stopped for good (a non-retriable error): the process should exit non-zero. */
  readonly fatal: Promise<Error>;
  /** Stops consuming after the batch in progress (its offsets committed), then disconnects. */
  stop(): Promise<void>;
}

export async function startProcessor(ctx: Context): Promise<ProcessorHandle> {
  const log = logger('processor');
  const codec = await ctx.codec();
  const { topics, config: c } = ctx;
  const alerts = alertSettings(ctx, log);
  // Load the referentials before joining the group (not during the first batch).
  void ctx.organismes;
  const producer: Producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
  const sink = createFactSink(c);
  // kafkajs's idempotent producer can silently lose messages when sends overlap (tulios/kafkajs
  // issue #1005): one send at a time.
  const sendLock = createLock();
  const publish = (topicMessages: TopicMessages[]) =>
    sendLock(async () => void (await producer.sendBatch({ topicMessages, acks: ACKS_ALL })));
  const deps: PipelineDeps = { ctx, codec, publish, env: envFactory(ctx, alerts, true), log, sink };
  const consumer: Consumer = createConsumer(ctx.kafka, {
    groupId: `${c.TDB_NAMESPACE}.processor`,
    sessionTimeout: c.TDB_PROCESSOR_SESSION_TIMEOUT_MS,
    rebalanceTimeout: Math.max(c.TDB_PROCESSOR_SESSION_TIMEOUT_MS, 10_000),
    heartbeatInterval: Math.min(3_000, Math.floor(c.TDB_PROCESSOR_SESSION_TIMEOUT_MS / 5)),
    maxWaitTimeInMs: 100,
    // ~1,600 change events per partition batch: large enough inserts for ClickHouse, small enough
    // to keep the process's memory flat (see README.md, "Speed and memory").
    maxBytesPerPartition: c.TDB_PROCESSOR_BATCH_BYTES,
    maxBytes: c.TDB_PROCESSOR_BATCH_BYTES * c.TDB_PROCESSOR_CONCURRENCY,
  });
  // One lock per partition: batches of one partition and the scheduler's work on it never
  // interleave (they touch the same learners); different partitions run concurrently.
  const locks = new Map<number, ReturnType<typeof createLock>>();
  const lockOf = (partition: number) => {
    let l = locks.get(partition);
    if (!l) locks.set(partition, (l = createLock()));
    return l;
  };
  let assigned: number[] = [];
  const totals = {
    batches: 0,
    events: 0,
    applied: 0,
    skipped: 0,
    rejected: 0,
    transitions: 0,
    alerts: 0,
    deltaRows: 0,
  };

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = [...(e.payload.memberAssignment[topics.changes] ?? [])].sort((a, b) => a - b);
    log.info({ partitions: assigned }, 'joined the consumer group');
    void tick();
  });
  let onFatal: (err: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  consumer.on(consumer.events.CRASH, (e) => {
    // kafkajs restarts the consumer after retriable errors; anything else stops consuming for good.
    if (!e.payload.restart) onFatal(e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.changes, topics.transmissions], fromBeginning: true });

  let ticking = false;
  let ticks = 0;
  async function tick(): Promise<void> {
    if (ticking || assigned.length === 0) return;
    ticking = true;
    try {
      const results = await Promise.all(
        assigned.map((p) => lockOf(p)(() => runSchedulerTick(deps, topics.changes, [p]))),
      );
      ticks++;
      const s = results.reduce(
        (a, b) => ({
          due: a.due + b.due,
          transitions: a.transitions + b.transitions,
          alerts: a.alerts + b.alerts,
        }),
        { due: 0, transitions: 0, alerts: 0 },
      );
      if (s.due > 0) log.info(s, 'scheduler: time-driven changes announced');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'scheduler tick failed (retried at the next tick)');
    } finally {
      ticking = false;
    }
  }
  const timer = setInterval(() => void tick(), c.TDB_PROCESSOR_TICK_MS);

  let lastReport = Date.now();
  let reported = 0;
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: c.TDB_PROCESSOR_CONCURRENCY,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (batch.messages.length === 0) return;
      await lockOf(batch.topic === topics.changes ? batch.partition : -1 - batch.partition)(async () => {
        if (!isRunning() || isStale()) return;
        if (batch.topic === topics.changes) {
          const s = await processChangeBatch(deps, batch.topic, batch.partition, batch.messages);
          totals.batches++;
          for (const k of [
            'events',
            'applied',
            'skipped',
            'rejected',
            'transitions',
            'alerts',
            'deltaRows',
          ] as const)
            totals[k] += s[k];
        } else if (batch.topic === topics.transmissions) {
          const reports = await Promise.all(
            batch.messages.filter((m) => m.value).map((m) => codec.decode<TransmissionReport>(m.value!)),
          );
          await ctx.clickhouse.insert('transmissions', reports.map(transmissionRow));
        }
        const next = (BigInt(batch.lastOffset()) + 1n).toString();
        resolveOffset(batch.lastOffset());
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      });
      await heartbeat();
      const now = Date.now();
      if (now - lastReport > 10_000) {
        log.info(
          { ...totals, rate: Math.round(((totals.events - reported) * 1000) / (now - lastReport)) },
          'processor progress',
        );
        lastReport = now;
        reported = totals.events;
      }
    },
  });

  return {
    totals,
    fatal,
    ticks: () => ticks,
    async stop() {
      clearInterval(timer);
      await consumer.disconnect();
      await Promise.all([...locks.values()].map((l) => l(async () => undefined)));
      await producer.disconnect();
      await sink.close();
    },
  };
}
