/**
 * The alert inbox: a member of the consumer group `${TDB_NAMESPACE}.alert-inbox` over the dropout
 * alerts (DropoutAlert, topic role `alerts`) and the status transitions (LearnerStatusTransition,
 * role `transitions`). Each alert is stored for its Mission Locale (idempotent by alert_id); each
 * transition to APPRENTI or FIN_DE_FORMATION closes the record's open alerts. Offsets are committed
 * after the store is updated (at-least-once delivery, made exactly-once in effect by idempotency).
 * Both topics are keyed by record key, so one record's alerts (and its transitions) come in order.
 *
 * A message that fails (infra/errors.ts): a retriable error (Redis, the registry unreachable) fails
 * the batch, which comes again from the last committed offset; a permanent one (bytes no schema
 * decodes) sends the message to the dead-letter topic (RejectedRecord, connector `alert-inbox`,
 * the message sealed) and the inbox goes on: one bad message never stops every Mission Locale's
 * alerts.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from '../../infra/context';
import { sealJson } from '../../infra/crypto';
import { isRetriable } from '../../infra/errors';
import {
  ACKS_ALL,
  createConsumer,
  createIdempotentProducer,
  type Consumer,
  type Producer,
} from '../../infra/kafka/client';
import { logger } from '../../infra/log';
import type { DropoutAlert } from '../../schemas/generated/DropoutAlert';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import type { RejectedRecord } from '../../schemas/generated/RejectedRecord';
import { createAlertStore, type AlertStore } from './store';

export interface InboxTotals {
  alertes: number;
  nouvelles: number;
  doublons: number;
  neesFermees: number;
  transitions: number;
  fermees: number;
  /** Messages sent to the dead-letter topic (a permanent error). */
  rejetes: number;
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
    rejetes: 0,
  };
  const producer: Producer = createIdempotentProducer(ctx.kafka);
  await producer.connect();
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
  /** The dead-letter record of a message that failed with a permanent error. */
  async function deadLetter(
    topic: string,
    partition: number,
    message: { offset: string; key: Buffer | null; value: Buffer | null },
    err: Error,
  ): Promise<void> {
    const code = (err as { code?: unknown }).code;
    const rejected: RejectedRecord = {
      event_id: randomUUID(),
      ingestion_time: ctx.clock.now(),
      connector: 'alert-inbox',
      organisme_uai: null,
      organisme_siret: null,
      location: `${topic}[${partition}]@${message.offset}`,
      errors: [
        {
          code: typeof code === 'string' ? code : 'MESSAGE_ILLISIBLE',
          path: '(message)',
          message: `message ${topic}[${partition}]@${message.offset} écarté : ${err.message}`,
        },
      ],
      input_chiffre: sealJson(ctx.secrets.dataKey, {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value?.toString('base64') ?? null,
      }),
    };
    await producer.send({
      topic: topics.deadLetter,
      acks: ACKS_ALL,
      messages: [{ key: message.key, value: await codec.encode('deadLetter', rejected) }],
    });
    totals.rejetes++;
    log.error({ topic, partition, offset: message.offset, err: err.message }, 'message dead-lettered');
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
            try {
              if (batch.topic === topics.alerts)
                await onAlert(await codec.decode<DropoutAlert>(message.value));
              else await onTransition(await codec.decode<LearnerStatusTransition>(message.value));
            } catch (err) {
              if (isRetriable(err)) throw err; // the batch comes again from the last commit
              await deadLetter(batch.topic, batch.partition, message, err as Error);
            }
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
      await producer.disconnect();
    },
  };
}
