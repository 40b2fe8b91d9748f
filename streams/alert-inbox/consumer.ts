/**
 * The alert inbox: a member of the consumer group `${TDB_NAMESPACE}.alert-inbox` over the dropout
 * alerts (DropoutAlert, topic role `alerts`) and the status transitions (LearnerStatusTransition,
 * role `transitions`). Each alert is stored for its Mission Locale (idempotent by alert_id); each
 * transition to APPRENTI or FIN_DE_FORMATION closes the record's open alerts. Offsets are committed
 * after the store is updated (at-least-once delivery, made exactly-once in effect by idempotency).
 * Both topics are keyed by record key, so one record's alerts (and its transitions) come in order.
 */
import type { Context } from '../../infra/context';
import { createConsumer, type Consumer } from '../../infra/kafka/client';
import { logger } from '../../infra/log';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { createAlertStore, type AlertStore } from './store';

export interface InboxTotals {
  alertes: number;
  nouvelles: number;
  doublons: number;
  neesFermees: number;
  transitions: number;
  fermees: number;
}

export interface InboxHandle {
  readonly totals: InboxTotals;
  readonly store: AlertStore;
  /** Resolves when the consumer stopped for good (a non-retriable error). */
  readonly fatal: Promise<Error>;
  /** Resolves once the member has joined the group. */
  readonly joined: Promise<void>;
  /** Stops after the batches in progress (offsets committed), then disconnects. */
  stop(): Promise<void>;
}

export const inboxGroupId = (ns: string) => `${ns}.alert-inbox`;

export async function startAlertInbox(ctx: Context): Promise<InboxHandle> {
  const log = logger('alert-inbox');
  const codec = await ctx.codec();
  const store = createAlertStore(ctx.redis, ctx.keys.ml);
  const { topics } = ctx;
  const totals: InboxTotals = {
    alertes: 0,
    nouvelles: 0,
    doublons: 0,
    neesFermees: 0,
    transitions: 0,
    fermees: 0,
  };
  const consumer: Consumer = createConsumer(ctx.kafka, {
    groupId: inboxGroupId(ctx.config.TDB_NAMESPACE),
    sessionTimeout: 10_000,
    heartbeatInterval: 2_000,
    maxWaitTimeInMs: 100,
  });
  let onJoin: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (onJoin = resolve));
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    log.info({ assignment: e.payload.memberAssignment }, 'joined the consumer group');
    onJoin();
  });
  let onFatal: (err: Error) => void = () => undefined;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) onFatal(e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.alerts, topics.transitions], fromBeginning: true });

  async function onAlert(alert: DropoutAlert): Promise<void> {
    const res = await store.ingest(alert);
    totals.alertes++;
    if (res === 'doublon') totals.doublons++;
    else if (res === 'fermee') totals.neesFermees++;
    else totals.nouvelles++;
    log.debug({ alert_id: alert.alert_id, mission_locale: alert.mission_locale_id, res }, 'alert');
  }
  async function onTransition(t: LearnerStatusTransition): Promise<void> {
    totals.transitions++;
    totals.fermees += await store.applyTransition(t);
  }
  let lastReport = Date.now();
  let reported = { ...totals };
  /** Progress on stderr every 10 s when something happened. */
  function report(): void {
    const now = Date.now();
    if (now - lastReport < 10_000) return;
    if (totals.alertes !== reported.alertes || totals.transitions !== reported.transitions)
      log.info({ ...totals }, 'alert inbox progress');
    lastReport = now;
    reported = { ...totals };
  }

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 2,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      let done: string | undefined;
      try {
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          if (message.value) {
            if (batch.topic === topics.alerts) await onAlert(await codec.decode<DropoutAlert>(message.value));
            else await onTransition(await codec.decode<LearnerStatusTransition>(message.value));
          }
          resolveOffset(message.offset);
          done = message.offset;
        }
      } finally {
        // Commit what is stored, even when stopping or failing mid-batch (the rest comes again).
        if (done !== undefined && !isStale())
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(done) + 1n).toString() },
          ]);
      }
      await heartbeat();
      report();
    },
  });

  return {
    totals,
    store,
    fatal,
    joined,
    async stop() {
      await consumer.disconnect();
    },
  };
}
