/**
 * Two-stage ordering of the pipeline's work units (chunks of records, end-of-transmission units):
 * a unit is *prepared* (CPU work and state reads) while the previous unit is being *sent* (broker
 * acknowledgement, state writes), so that the CPU does not sit idle while the broker works.
 *
 * Guarantees:
 * - units are prepared one at a time and sent one at a time, both in submission order;
 * - a unit's preparation sees every state written by earlier units: the states of units sent
 *   already are in the store; those of the (at most one) unit still in flight are kept in memory
 *   (`recent`) until the unit after next is prepared;
 * - a failed send fails every unit prepared before the failure was known (they may depend on the
 *   lost states) and clears the in-memory states; later units start again from the store.
 */
import type { RecordState } from './state-store';

export interface PreparedUnit {
  /** States to write after the send was acknowledged. */
  states: ReadonlyMap<string, RecordState>;
  /** Sends the unit's messages (the broker's acknowledgement ends the promise). */
  send(): Promise<void>;
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

export class StaleUnitError extends Error {
  override name = 'StaleUnitError';
}

export function createStageRunner(): StageRunner {
  let seq = 0;
  let epoch = 0;
  let prepareTail: Promise<unknown> = Promise.resolve();
  let sendTail: Promise<unknown> = Promise.resolve();
  const sentDone = new Map<number, Promise<unknown>>();
  const recent = new Map<string, { state: RecordState; seq: number; epoch: number }>();
  const settle = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );

  return {
    submit(prepare, barrier = false) {
      const n = ++seq;
      const sendBefore = sendTail;
      const prepared = prepareTail.then(async () => {
        await (barrier ? sendBefore : (sentDone.get(n - 2) ?? Promise.resolve()));
        const myEpoch = epoch;
        for (const [k, v] of recent) if (v.seq <= n - 2 || v.epoch !== myEpoch) recent.delete(k);
        const unit = await prepare((key) => {
          const r = recent.get(key);
          return r && r.epoch === myEpoch ? r.state : undefined;
        });
        for (const [k, s] of unit.states) recent.set(k, { state: s, seq: n, epoch: myEpoch });
        return { unit, myEpoch };
      });
      prepareTail = settle(prepared);
      const sent = Promise.all([prepared, sendBefore]).then(async ([{ unit, myEpoch }]) => {
        if (myEpoch !== epoch)
          throw new StaleUnitError('an earlier batch could not be sent: this one was not sent either');
        try {
          await unit.send();
          await unit.commit();
        } catch (err) {
          epoch++;
          recent.clear();
          throw err;
        }
      });
      sendTail = settle(sent);
      sentDone.set(n, sendTail);
      sentDone.delete(n - 3);
      return sent;
    },
  };
}
