/**
 * `tdb replay` rebuilds the same state and facts from the compacted topic; it refuses to run while
 * the processor is running, and announces nothing again. Also the pending-batch recovery paths.
 */
import { logger } from '../../infra/log';
import { silentProgress } from '../../infra/services/progress';
import type { DossierApprenantChange } from '../../schemas/generated/DossierApprenantChange';
import { processChangeBatch } from '../../streams/processor/batch';
import { replay } from '../../streams/processor/replay';
import { alertSettings, envFactory, startProcessor } from '../../streams/processor/run';
import { createFactSink } from '../../streams/processor/sink';
import { decodeState, encodeState, type LearnerState } from '../../streams/processor/state';
import { dayFromIso } from '../../streams/status/calendar';
import { createTestPlatform, ORGANISMES_CSV, type TestPlatform } from '../support/platform';
import { produceChanges } from './support/changes';
import { deltaCounts, expectedCounts, intervalsDigest, sortedEntries, waitCaughtUp } from './support/facts';
import { changeStream } from './support/stream';

const TODAY = '2025-01-15';
const DATES = ['2024-01-15', '2024-10-01', '2025-01-15'].map(dayFromIso);
let platform: TestPlatform;
let events: DossierApprenantChange[];

beforeAll(async () => {
  platform = await createTestPlatform({
    TDB_CLOCK: TODAY,
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
  });
  const { ctx } = platform;
  events = [
    ...changeStream({
      records: 800,
      events: 1_500,
      seed: 11,
      today: dayFromIso(TODAY),
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      dataKey: ctx.secrets.dataKey,
    }),
  ];
  await produceChanges(ctx, events, { latest: true });
}, 120_000);

afterAll(() => platform?.cleanup());

const alertsOnTopic = async () => {
  const admin = platform.ctx.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(platform.ctx.topics.alerts);
  await admin.disconnect();
  return offsets.reduce((n, o) => n + Number(o.high), 0);
};

test('replay rebuilds the same facts from the compacted topic, after refusing to run beside the processor', async () => {
  const { ctx } = platform;
  const processor = await startProcessor(ctx);
  await waitCaughtUp(ctx, `${ctx.config.TDB_NAMESPACE}.processor`, ctx.topics.changes);
  await expect(replay(ctx, silentProgress)).rejects.toThrow(/the processor is running/);
  await processor.stop();
  const counts = sortedEntries(await deltaCounts(ctx.clickhouse, DATES));
  expect(counts).toEqual(sortedEntries(expectedCounts(events, ctx, DATES)));
  const intervals = await intervalsDigest(ctx.clickhouse);
  const alerts = await alertsOnTopic();
  expect(alerts).toBeGreaterThan(0);

  const result = await replay(ctx, silentProgress);
  expect(result.records).toBe(events.length);
  expect(sortedEntries(await deltaCounts(ctx.clickhouse, DATES))).toEqual(counts);
  expect(await intervalsDigest(ctx.clickhouse)).toEqual(intervals);
  expect(await alertsOnTopic()).toBe(alerts);

  // The processor resumes after the replay: what it finds is not newer than the replayed state.
  const again = await startProcessor(ctx);
  await produceChanges(ctx, events.slice(0, 100));
  await waitCaughtUp(ctx, `${ctx.config.TDB_NAMESPACE}.processor`, ctx.topics.changes);
  expect(again.totals.skipped).toBe(100);
  await again.stop();
  expect(sortedEntries(await deltaCounts(ctx.clickhouse, DATES))).toEqual(counts);
  expect(await alertsOnTopic()).toBe(alerts);
}, 180_000);

test('a pending batch whose deltas landed is applied; one whose deltas did not land is dropped', async () => {
  const { ctx } = platform;
  const sink = createFactSink(ctx.config);
  const deps = {
    ctx,
    codec: await ctx.codec(),
    publish: null,
    env: envFactory(ctx, alertSettings(ctx, logger('test')), true),
    log: logger('test'),
    sink,
  };
  const topic = 'recovery-test';
  const landed = '9a1f4c3e-0000-4000-8000-000000000001';
  const lost = '9a1f4c3e-0000-4000-8000-000000000002';
  const state: LearnerState = {
    v: 7,
    op: 'UPDATE',
    part: 0,
    person_key: null,
    rec: null,
    parcours: [{ valeur: 'APPRENTI', date: 20_000 }],
    slots: 1,
    statut: 'APPRENTI',
    t: 20_100,
    alerts: ['a1'],
  };
  await ctx.clickhouse.insert('effectifs_deltas', [
    { jour: '2025-01-15', statut: 'INSCRIT', delta: 0, record_key: '', version: 0, batch_id: landed },
  ]);
  const pending = (id: string, k: string) =>
    JSON.stringify({
      b: id,
      m: '2025-01-15',
      z: ctx.keys.scheduleOf(0),
      s: { [ctx.keys.learnerState(k)]: JSON.parse(encodeState(state)) },
      a: [[20_000, k]],
      r: [],
    });

  await ctx.redis.set(ctx.keys.pendingBatch(topic, 0), pending(landed, 'rec-landed'));
  expect((await processChangeBatch(deps, topic, 0, [])).recovered).toBe('applied');
  expect(decodeState(await ctx.redis.get(ctx.keys.learnerState('rec-landed')))).toEqual(state);
  expect(await ctx.redis.zscore(ctx.keys.scheduleOf(0), 'rec-landed')).toBe('20000');
  expect(await ctx.redis.exists(ctx.keys.pendingBatch(topic, 0))).toBe(0);

  await ctx.redis.set(ctx.keys.pendingBatch(topic, 1), pending(lost, 'rec-lost'));
  expect((await processChangeBatch(deps, topic, 1, [])).recovered).toBe('dropped');
  expect(await ctx.redis.exists(ctx.keys.learnerState('rec-lost'))).toBe(0);
  expect(await ctx.redis.exists(ctx.keys.pendingBatch(topic, 1))).toBe(0);
  await sink.close();
});
