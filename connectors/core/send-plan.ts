/**
 * How one group of messages (stages.ts merges the units sent together) is cut into produce
 * requests that Kafka accepts: the broker refuses a record batch (one per topic partition and
 * request) larger than `message.max.bytes` (1 MiB), and such a refusal fails the whole request.
 * Each request keeps every partition's share under a budget (limits.ts, 900 KiB); requests are
 * sent one after the other, in order, so the order per partition is kept. Pure.
 */
import type { Message } from '../../infra/kafka/client';
import type { TopicBatch } from './stages';
import { PermanentError } from '../../infra/errors';

/** Bytes a record adds to its batch besides its key and value (varints, attributes, deltas). */
export const RECORD_OVERHEAD = 32;
/** Bytes of a record batch's header. */
export const BATCH_OVERHEAD = 64;

// At module level: a closure made per call costs more than the sizes (hot: every message).
const size = (v: Message['key'] | Message['value']) =>
  v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** The bytes a message takes in a record batch (an upper bound). */
export function messageBytes(m: Message): number {
  let headers = 0;
  if (m.headers) {
    for (const [k, v] of Object.entries(m.headers))
      headers += Buffer.byteLength(k) + 10 + (Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v)));
  }
  return size(m.key) + size(m.value) + headers + RECORD_OVERHEAD;
}

/** A message larger than a request's partition budget: a bug upstream (items are size-limited). */
export class OversizedMessageError extends PermanentError {
  override name = 'OversizedMessageError';
  constructor(
    readonly topic: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`a message of ${bytes} bytes for ${topic} exceeds the limit of ${limit} bytes: not sent`);
  }
}

/**
 * Cuts `batches` into requests (each a list of topic batches) such that, in every request, the
 * messages of one topic partition take at most `budget` bytes. `partitionOf(topic, key)` gives a
 * message's partition as the producer's partitioner would choose it (murmur2 of the key); the
 * messages of the requests then carry it, so that the producer does not hash the key again. When it
 * returns null (unknown partition count), the whole topic counts as one partition (safe, smaller
 * requests). A topic whose messages all fit in one budget is not partitioned here.
 * Throws OversizedMessageError, before anything is sent, for a message larger than `maxMessage`.
 */
export function planRequests(
  batches: readonly TopicBatch[],
  partitionOf: (topic: string, key: Message['key']) => number | null,
  budget: number,
  maxMessage: number,
): TopicBatch[][] {
  // A topic whose messages all fit in one budget needs no partition (saves hashing every key).
  const small = new Set<string>();
  const totals = new Map<string, number>();
  // Each message's size is computed once (both passes read it).
  const sizes = batches.map((b) => b.messages.map(messageBytes));
  batches.forEach((b, i) => {
    const total = sizes[i]!.reduce((a, n) => a + n, 0);
    totals.set(b.topic, (totals.get(b.topic) ?? 0) + total);
  });
  for (const [topic, total] of totals) if (total + BATCH_OVERHEAD <= budget) small.add(topic);
  const requests: TopicBatch[][] = [];
  let current = new Map<string, Message[]>();
  let used = new Map<string, number>();
  const flush = () => {
    if (current.size === 0) return;
    requests.push([...current].map(([topic, messages]) => ({ topic, messages })));
    current = new Map();
    used = new Map();
  };
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i]!;
    for (let j = 0; j < b.messages.length; j++) {
      const m = b.messages[j]!;
      const bytes = sizes[i]![j]!;
      if (bytes > maxMessage || bytes + BATCH_OVERHEAD > budget)
        throw new OversizedMessageError(b.topic, bytes, Math.min(maxMessage, budget - BATCH_OVERHEAD));
      let out = m;
      let slot = b.topic;
      if (!small.has(b.topic)) {
        const p = m.partition ?? partitionOf(b.topic, m.key);
        slot = `${b.topic}\u0000${p ?? '*'}`;
        // The partition is computed once: the producer's partitioner uses a message's own partition.
        if (p !== null && m.partition === undefined) out = { ...m, partition: p };
      }
      const before = used.get(slot) ?? BATCH_OVERHEAD;
      if (before + bytes > budget) flush();
      used.set(slot, (used.get(slot) ?? BATCH_OVERHEAD) + bytes);
      const list = current.get(b.topic);
      if (list) list.push(out);
      else current.set(b.topic, [out]);
    }
  }
  flush();
  return requests;
}
