/**
 * Two-stage ordering of the pipeline's work units (chunks of records, end-of-transmission units):
 * a unit is *prepared* (CPU work and state reads) while earlier units are being *sent* (broker
 * acknowledgement, state writes), so that the CPU does not sit idle while the broker works.
 *
 * Group commit: when the broker answers, every unit prepared meanwhile is sent in ONE request
 * (their messages concatenated in unit order; cut into several, in order, only when a partition
 * would pass the broker's size limit: send-plan.ts), then committed in order. Many small transmissions
 * arriving together (ERPs pushing a few records each) thus share a broker round trip instead of
 * queueing for one each.
 *
 * Guarantees:
 * - units are prepared one at a time and sent in submission order (a group keeps the order of its
 *   units' messages, hence the order per partition);
 * - a unit's preparation sees every state written by earlier units: the states of units committed
 *   already are in the store; those of earlier units not yet committed are kept in memory
 *   (`recent`) until their commit, and a unit sees a snapshot of them taken when its preparation
 *   starts (so that a commit during the preparation cannot hide a state from it);
 * - a failed send fails its whole group and every unit prepared before the failure was known (they
 *   may depend on the lost states) and clears the in-memory states; later units start again from
 *   the store.
 */
import type { Message } from '../../infra/kafka/client';
import type { RecordState } from './state-store';
import { RetriableError } from '../../infra/errors';

export interface TopicBatch {
  topic: string;
  messages: Message[];
}

export interface PreparedUnit {
  /** States to write after the send was acknowledged. */
  states: ReadonlyMap<string, RecordState>;
  /** The unit's messages, per topic. */
  messages: TopicBatch[];
  /** Writes after the send (states, snapshot members). */
  commit(): Promise<void>;
}

export interface StageRunner {
  /**
   * Submits a unit. `prepare` gets `overlay(key)`: the in-memory state of `key` written by a unit
   * not yet known to be in the store (or undefined: read the store). `barrier`: prepare only
   * after every earlier unit was sent (for units that read more than record states).
   * Resolves when the unit was sent and committed.
   */
  submit(
    prepare: (overlay: (key: string) => RecordState | undefined) => Promise<PreparedUnit>,
    barrier?: boolean,
  ): Promise<void>;
}

export class StaleUnitError extends RetriableError {
  override name = 'StaleUnitError';
}

interface Queued {
  n: number;
  /** Set once prepared (or failed to prepare). */
  ready?: { unit: PreparedUnit; epoch: number } | { error: unknown };
  resolve(): void;
  reject(err: unknown): void;
}

/** Concatenates the units' messages per topic, in unit order (the first unit's topics first). */
export function mergeBatches(units: readonly PreparedUnit[]): TopicBatch[] {
  const byTopic = new Map<string, Message[]>();
  for (const u of units) {
    for (const b of u.messages) {
      if (b.messages.length === 0) continue;
      const list = byTopic.get(b.topic);
      if (list) list.push(...b.messages);
      else byTopic.set(b.topic, [...b.messages]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * `send` delivers one group's messages (one broker request, or several in order when they would
 * pass the broker's size limits: send-plan.ts); it rejects when they were not all acknowledged.
 */
export function createStageRunner(send: (batches: TopicBatch[]) => Promise<void>): StageRunner {
  let seq = 0;
  let epoch = 0;
  let prepareTail: Promise<unknown> = Promise.resolve();
  /** Resolves when every unit submitted so far was sent and committed (or failed). */
  let doneTail: Promise<unknown> = Promise.resolve();
  const recent = new Map<string, { state: RecordState; seq: number; epoch: number }>();
  const queue: Queued[] = [];
  let pumping = false;
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );

  /** Sends the prepared units at the head of the queue, in groups, until it meets one not yet prepared. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0 && queue[0]!.ready) {
        const group: Queued[] = [];
        while (queue.length > 0 && queue[0]!.ready) {
          const q = queue[0]!;
          const r = q.ready!;
          if ('error' in r) {
            if (group.length > 0) break; // send what precedes it first
            queue.shift();
            q.reject(r.error);
            continue;
          }
          if (r.epoch !== epoch) {
            if (group.length > 0) break;
            queue.shift();
            q.reject(new StaleUnitError('an earlier batch could not be sent: this one was not sent either'));
            continue;
          }
          group.push(queue.shift()!);
        }
        if (group.length === 0) continue;
        const units = group.map((q) => (q.ready as { unit: PreparedUnit }).unit);
        try {
          const batches = mergeBatches(units);
          if (batches.length > 0) await send(batches);
          for (const u of units) await u.commit();
          // Committed: their states are in the store now.
          const last = group[group.length - 1]!.n;
          for (const [k, v] of recent) if (v.seq <= last) recent.delete(k);
          for (const q of group) q.resolve();
        } catch (err) {
          epoch++;
          recent.clear();
          for (const q of group) q.reject(err);
        }
      }
    } finally {
      pumping = false;
    }
  }

  return {
    submit(prepare, barrier = false) {
      const n = ++seq;
      const doneBefore = doneTail;
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const finished = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const entry: Queued = { n, resolve, reject };
      queue.push(entry);
      const prepared = prepareTail.then(async () => {
        if (barrier) await doneBefore;
        const myEpoch = epoch;
        const seen = new Map<string, RecordState>();
        for (const [k, v] of recent) if (v.epoch === myEpoch) seen.set(k, v.state);
        const unit = await prepare((key) => seen.get(key));
        for (const [k, s] of unit.states) recent.set(k, { state: s, seq: n, epoch: myEpoch });
        return { unit, epoch: myEpoch };
      });
      prepareTail = settle(prepared);
      prepared.then(
        (r) => {
          entry.ready = r;
          void pump();
        },
        (error: unknown) => {
          entry.ready = { error };
          void pump();
        },
      );
      doneTail = settle(finished);
      return finished;
    },
  };
}
