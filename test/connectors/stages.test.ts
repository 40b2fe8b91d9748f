/** Ordering of the pipeline's work units (connectors/core/stages.ts), with controllable sends. */
import { createStageRunner, StaleUnitError, type PreparedUnit } from '../../connectors/core/stages';
import type { RecordState } from '../../connectors/core/state-store';

const state = (version: number): RecordState => ({
  layout: 1,
  version,
  fingerprint: { full: `f${version}`, fields: '' },
  personKey: null,
  notTransmitted: false,
});

/** A send that completes (or fails) when the test says so. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

test('a unit is prepared while the previous one is being sent, sends stay in order, and the in-flight states are visible', async () => {
  const runner = createStageRunner();
  const log: string[] = [];
  const g1 = gate();
  const g2 = gate();
  const unit = (
    name: string,
    g: ReturnType<typeof gate>,
    states: Map<string, RecordState>,
  ): PreparedUnit => ({
    states,
    send: async () => {
      log.push(`send ${name}`);
      await g.promise;
      log.push(`sent ${name}`);
    },
    commit: async () => {
      log.push(`commit ${name}`);
    },
  });
  const seen: (number | undefined)[] = [];
  const u1 = runner.submit(async () => {
    log.push('prepare 1');
    return unit('1', g1, new Map([['k', state(1)]]));
  });
  const u2 = runner.submit(async (overlay) => {
    log.push('prepare 2');
    seen.push(overlay('k')?.version);
    return unit('2', g2, new Map([['k', state(2)]]));
  });
  for (let i = 0; i < 5; i++) await tick();
  // Unit 2 was prepared while unit 1 is still in flight, and saw unit 1's state.
  expect(log).toEqual(['prepare 1', 'send 1', 'prepare 2']);
  expect(seen).toEqual([1]);
  g2.open(); // unit 2's broker answers first: it must still wait for unit 1
  for (let i = 0; i < 5; i++) await tick();
  expect(log).toEqual(['prepare 1', 'send 1', 'prepare 2']);
  g1.open();
  await Promise.all([u1, u2]);
  expect(log).toEqual([
    'prepare 1',
    'send 1',
    'prepare 2',
    'sent 1',
    'commit 1',
    'send 2',
    'sent 2',
    'commit 2',
  ]);
});

test('a failed send fails the units prepared before it was known, and later units start from the store', async () => {
  const runner = createStageRunner();
  const g1 = gate();
  const noop = async () => undefined;
  const u1 = runner.submit(async () => ({
    states: new Map([['k', state(1)]]),
    send: () => g1.promise,
    commit: noop,
  }));
  const u2 = runner.submit(async () => ({ states: new Map([['k', state(2)]]), send: noop, commit: noop }));
  for (let i = 0; i < 5; i++) await tick();
  g1.fail(new Error('broker down'));
  await expect(u1).rejects.toThrow('broker down');
  await expect(u2).rejects.toThrow(StaleUnitError);
  const seen: (number | undefined)[] = [];
  await runner.submit(async (overlay) => {
    seen.push(overlay('k')?.version);
    return { states: new Map(), send: noop, commit: noop };
  });
  expect(seen).toEqual([undefined]);
});
