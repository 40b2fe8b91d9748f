/**
 * The base of the platform's error types: each says whether trying the same operation again can
 * succeed (`retriable`), as kafkajs's errors do (style.md). The Kafka consumers and the connectors
 * read the flag where they choose between retrying and giving up on one input:
 * - the stream processor (streams/processor): a retriable error fails the batch, which is processed
 *   again (nothing is committed); a permanent one sends the event to the dead-letter topic;
 * - the alert inbox (streams/alert-inbox): the same, per alert or transition;
 * - the connectors: a retriable error of a transmission (TransmissionError: Kafka could not take
 *   the events) is a 503 for the ERP, which sends again; the drop folder leaves the file to the
 *   next scan; a permanent one is reported (a 4xx, the file moved to failed/).
 *
 * kafkajs reads the same property on errors thrown from a consumer's eachBatch: `retriable: false`
 * is not retried and stops the consumer (the process exits non-zero, nothing is committed).
 *
 * `retriable` is a prototype getter (not an instance field) so that error classes created by
 * @fastify/error with one of these as base (api/errors.ts) have it too: that factory does not call
 * the base constructor.
 */

export abstract class TdbError extends Error {
  /** true: the same operation may succeed later (a service unavailable); false: it fails the same way. */
  abstract get retriable(): boolean;
}

/** A failure of something outside the input (a broker, a database, the network): try again later. */
export class RetriableError extends TdbError {
  override get retriable(): boolean {
    return true;
  }
}

/** A failure the same input or configuration always causes (bad data, a refused value, a bug found). */
export class PermanentError extends TdbError {
  override get retriable(): boolean {
    return false;
  }
}

/**
 * Whether an operation that threw `err` should be tried again rather than its input set aside
 * (dead-letter topic, failed/ folder, a 4xx). Our errors and kafkajs's say so with `retriable`;
 * anything else (a client library's I/O error, a bug) is tried again: an input is never
 * dead-lettered on a guess.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof TdbError) return err.retriable;
  const flag =
    typeof err === 'object' && err !== null ? (err as { retriable?: unknown }).retriable : undefined;
  return typeof flag === 'boolean' ? flag : true;
}
