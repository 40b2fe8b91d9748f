/**
 * Reading the namespace's dead-letter topic (RejectedRecord, infra/kafka/topics.ts `deadLetter`):
 * what was rejected, when, from which connector and organisation, where in the input, and why.
 * A throw-away consumer group seeks to the offsets of `depuis` (by timestamp; the beginning
 * without it), reads up to the end offsets seen at the start, then is deleted: reading never moves
 * the offsets of any other consumer. The sealed input is opened only on request (operators: it
 * holds personal data in clear).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from '../../infra/context';
import { openJson } from '../../infra/crypto';
import { createConsumer } from '../../infra/kafka/client';
import type { RejectedRecord } from '../../schemas/generated/RejectedRecord';

export interface DeadLetterQuery {
  /** Only the records of this organisation (UAI, case-insensitive). */
  organisme?: string;
  /** Only the records ingested at or after this instant (epoch ms). */
  depuis?: number;
  /** At most this many records: the most recent ones (default 100). */
  limit?: number;
  /** Open the sealed original input (`input`). */
  dechiffrer?: boolean;
  /** Gives up after this long (ms, default 60,000). */
  timeoutMs?: number;
}

export interface DeadLetterEntry {
  partition: number;
  offset: string;
  key: string | null;
  record: Omit<RejectedRecord, 'input_chiffre'>;
  /** The original input (dechiffrer only); a large input is kept as {"$tronque": {...}, "apercu": {...}}. */
  input?: unknown;
}

/** Oldest first: ingestion time, then partition and offset. */
const chronological = (a: DeadLetterEntry, b: DeadLetterEntry) =>
  a.record.ingestion_time - b.record.ingestion_time ||
  a.partition - b.partition ||
  Number(BigInt(a.offset) - BigInt(b.offset));

/**
 * The dead-letter records matching `q`, oldest first (the `limit` most recent of them), with the
 * number of records read.
 */
export async function readDeadLetters(
  ctx: Context,
  q: DeadLetterQuery = {},
): Promise<{ entries: DeadLetterEntry[]; read: number; matching: number }> {
  const topic = ctx.topics.deadLetter;
  const limit = q.limit ?? 100;
  const uai = q.organisme?.trim().toUpperCase();
  const admin = ctx.kafka.admin();
  await admin.connect();
  const groupId = `${ctx.config.TDB_NAMESPACE}.dlq-reader-${randomBytes(4).toString('hex')}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    // Seek by the messages' timestamps (the real clock) only when the platform's clock is the real
    // one: with an injected clock (TDB_CLOCK), ingestion times and Kafka timestamps differ.
    const starts =
      q.depuis === undefined || ctx.config.TDB_CLOCK
        ? ends.map((p) => ({ partition: p.partition, offset: p.low }))
        : await admin.fetchTopicOffsetsByTimestamp(topic, q.depuis);
    const end = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
    // Offset -1 (no message at or after the timestamp): nothing to read in that partition.
    const from = new Map(
      starts.map((p) => [p.partition, BigInt(p.offset) < 0n ? end.get(p.partition)! : BigInt(p.offset)]),
    );
    const pending = new Set([...end].filter(([p, high]) => from.get(p)! < high).map(([p]) => p));
    if (pending.size === 0) return { entries: [], read: 0, matching: 0 };

    const codec = await ctx.codec();
    let entries: DeadLetterEntry[] = [];
    let read = 0;
    let matching = 0;
    const consumer = createConsumer(ctx.kafka, { groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`dead-letter topic not read completely after ${q.timeoutMs ?? 60_000} ms`)),
          q.timeoutMs ?? 60_000,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              if (!pending.has(partition)) return;
              const offset = BigInt(message.offset);
              // Before `depuis` (read before the seek applied) or after the start: not listed.
              if (offset < from.get(partition)! || offset >= end.get(partition)!) return;
              read++;
              const value = await codec.decode<RejectedRecord>(message.value!);
              const keep =
                (uai === undefined || value.organisme_uai?.toUpperCase() === uai) &&
                (q.depuis === undefined || value.ingestion_time >= q.depuis);
              if (keep) {
                matching++;
                const { input_chiffre, ...record } = value;
                const entry: DeadLetterEntry = {
                  partition,
                  offset: message.offset,
                  key: message.key?.toString() ?? null,
                  record,
                };
                if (q.dechiffrer) entry.input = openJson(ctx.secrets.dataKey, input_chiffre);
                entries.push(entry);
                // Keep memory bounded: only the `limit` most recent matter.
                if (entries.length > 2 * limit + 1000) entries = entries.sort(chronological).slice(-limit);
              }
              if (offset + 1n >= end.get(partition)!) pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .then(() => {
            // Start each partition at `depuis` (applied at the next fetch; earlier messages are skipped above).
            for (const [partition, offset] of from)
              consumer.seek({ topic, partition, offset: offset.toString() });
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return { entries: entries.sort(chronological).slice(-limit), read, matching };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
