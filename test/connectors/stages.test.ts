/** Ordering and group commit of the pipeline's work units (connectors/core/stages.ts), with controllable sends. */
import {
  createStageRunner,
  mergeBatches,
  StaleUnitError,
  type PreparedUnit,
  type TopicBatch,
} from '../../connectors/core/stages';
import type { RecordState } from '../../connectors/core/state-store';

const state = (version: number): RecordState => ({
  layout: 1,
  version,
  fingerprint: { full: `f${version}`, fields: '' },
  personKey: null,
  notTransmitted: false,
});

/** A promise the test settles. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const msg = (topic: string, key: string): TopicBatch => ({ topic, messages: [{ key, value: key }] });

/** A runner whose sends are logged and wait for the gate the test gives for each send, in turn. */
function loggedRunner(gates: ReturnType<typeof gate>[]) {
  const log: string[] = [];
  let i = 0;
  const runner = createStageRunner(async (batches) => {
    const keys = batches.flatMap((b) => b.messages.map((m) => `${b.topic}:${String(m.key)}`)).join(',');
    log.push(`send ${keys}`);
    await gates[i++]!.promise;
    log.push(`sent ${keys}`);
  });
  const unit = (name: string, states: Map<string, RecordState>, topic = 'changes'): PreparedUnit => ({
    states,
    messages: [msg(topic, name)],
    commit: async () => {
      log.push(`commit ${name}`);
    },
  });
  return { runner, log, unit };
}

test('a unit is prepared while the previous one is being sent, sends stay in order, and the in-flight states are visible', async () => {
  const g1 = gate();
  const g2 = gate();
  const { runner, log, unit } = loggedRunner([g1, g2]);
  const seen: (number | undefined)[] = [];
  const u1 = runner.submit(async () => {
    log.push('prepare 1');
    return unit('1', new Map([['k', state(1)]]));
  });
  await tick();
  const u2 = runner.submit(async (overlay) => {
    log.push('prepare 2');
    seen.push(overlay('k')?.version);
    return unit('2', new Map([['k', state(2)]]));
  });
  await tick();
  // Unit 2 was prepared while unit 1 is still in flight, and saw unit 1's state; it waits its turn.
  expect(log).toEqual(['prepare 1', 'send changes:1', 'prepare 2']);
  expect(seen).toEqual([1]);
  g1.open();
  g2.open();
  await Promise.all([u1, u2]);
  expect(log).toEqual([
    'prepare 1',
    'send changes:1',
    'prepare 2',
    'sent changes:1',
    'commit 1',
    'send changes:2',
    'sent changes:2',
    'commit 2',
  ]);
});

test('units prepared while a send is in flight go out together in the next send (group commit), in order', async () => {
  const g1 = gate();
  const g2 = gate();
  const { runner, log, unit } = loggedRunner([g1, g2]);
  const u1 = runner.submit(async () => unit('1', new Map([['a', state(1)]])));
  await tick();
  // Three small transmissions arrive while the first is at the broker.
  const later = ['2', '3', '4'].map((name) =>
    runner.submit(async () => unit(name, new Map([[name, state(1)]]))),
  );
  await tick();
  expect(log).toEqual(['send changes:1']);
  g1.open();
  await u1;
  await tick();
  expect(log).toEqual(['send changes:1', 'sent changes:1', 'commit 1', 'send changes:2,changes:3,changes:4']);
  g2.open();
  await Promise.all(later);
  expect(log.slice(-4)).toEqual(['sent changes:2,changes:3,changes:4', 'commit 2', 'commit 3', 'commit 4']);
});

test('mergeBatches keeps the units’ order per topic and drops empty batches', () => {
  const unit = (...batches: TopicBatch[]): PreparedUnit => ({
    states: new Map(),
    messages: batches,
    commit: async () => undefined,
  });
  const merged = mergeBatches([
    unit(msg('changes', 'a'), { topic: 'dlq', messages: [] }, msg('latest', 'a')),
    unit(msg('changes', 'b'), msg('dlq', 'x')),
  ]);
  expect(merged.map((b) => [b.topic, b.messages.map((m) => m.key)])).toEqual([
    ['changes', ['a', 'b']],
    ['latest', ['a']],
    ['dlq', ['x']],
  ]);
});

test('a failed send fails its group and the units prepared before it was known; later units start from the store', async () => {
  const g1 = gate();
  const { runner, unit } = loggedRunner([g1, gate()]);
  const u1 = runner.submit(async () => unit('1', new Map([['k', state(1)]])));
  await tick();
  const u2 = runner.submit(async () => unit('2', new Map([['k', state(2)]])));
  await tick();
  g1.fail(new Error('broker down'));
  await expect(u1).rejects.toThrow('broker down');
  await expect(u2).rejects.toThrow(StaleUnitError);
  const seen: (number | undefined)[] = [];
  const ok = createStageRunner(async () => undefined);
  await ok.submit(async (overlay) => {
    seen.push(overlay('k')?.version);
    return { states: new Map(), messages: [], commit: async () => undefined };
  });
  // The failed runner also starts again from the store.
  await runner
    .submit(async (overlay) => {
      seen.push(overlay('k')?.version);
      return { states: new Map(), messages: [], commit: async () => undefined };
    })
    .catch(() => undefined);
  expect(seen).toEqual([undefined, undefined]);
});

test('a unit whose preparation fails is rejected without blocking the units after it', async () => {
  const runner = createStageRunner(async () => undefined);
  const bad = runner.submit(async () => {
    throw new Error('worker crashed');
  });
  const good = runner.submit(async () => ({
    states: new Map(),
    messages: [msg('changes', 'z')],
    commit: async () => undefined,
  }));
  await expect(bad).rejects.toThrow('worker crashed');
  await expect(good).resolves.toBeUndefined();
});
