/**
 * The stream processor against the real services (in-process): facts equal the status engine's
 * counts at several dates, redeliveries change nothing, transitions and rejections reach their
 * topics, transmission reports reach the transmission log.
 */
import path from 'node:path';
import { createConsumer } from '../../infra/kafka/client';
import type { DossierApprenantChange } from '../../schemas/generated/DossierApprenantChange';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import type { RejectedRecord } from '../../schemas/generated/RejectedRecord';
import { startProcessor, type ProcessorHandle } from '../../streams/processor/run';
import { dayFromIso } from '../../streams/status/calendar';
import {
  createTestPlatform,
  eventually,
  ORGANISMES_CSV,
  ZONES_EMPLOI_CSV,
  type TestPlatform,
} from '../support/platform';
import { changeEvent, produceChanges, produceTransmission } from './support/changes';
import { deltaCounts, expectedCounts, intervalsDigest, sortedEntries, waitCaughtUp } from './support/facts';
import { changeStream } from './support/stream';

const TODAY = '2025-01-15';
const DATES = ['2023-10-01', '2024-03-01', '2024-09-15', '2025-01-15', '2025-06-01'].map(dayFromIso);

let platform: TestPlatform;
let processor: ProcessorHandle;
let events: DossierApprenantChange[];

async function readTopic<T>(p: TestPlatform, topic: string, until: (items: T[]) => boolean): Promise<T[]> {
  const codec = await p.ctx.codec();
  const consumer = createConsumer(p.ctx.kafka, {
    groupId: `${p.config.TDB_NAMESPACE}.reader.${Date.now()}`,
    maxWaitTimeInMs: 100,
  });
  const items: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void items.push(await codec.decode<T>(message.value!)),
  });
  try {
    await eventually(
      async () => items.length,
      () => until(items),
      30_000,
    );
    return items;
  } finally {
    await consumer.disconnect();
  }
}

beforeAll(async () => {
  platform = await createTestPlatform({
    TDB_CLOCK: TODAY,
    TDB_ORGANISMES_CSV: ORGANISMES_CSV,
    TDB_ZONES_EMPLOI_CSV: ZONES_EMPLOI_CSV,
    TDB_MISSIONS_LOCALES_CSV: path.join(__dirname, 'fixtures', 'missions-locales.csv'),
    TDB_PROCESSOR_TICK_MS: '500',
  });
  const { ctx } = platform;
  events = [
    ...changeStream({
      records: 1_500,
      events: 3_000,
      today: dayFromIso(TODAY),
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      dataKey: ctx.secrets.dataKey,
    }),
  ];
  processor = await startProcessor(ctx);
}, 120_000);

afterAll(async () => {
  await processor?.stop();
  await platform?.cleanup();
});

test('the signed deltas give the status engine counts per status × département at several dates', async () => {
  const { ctx } = platform;
  await produceChanges(ctx, events);
  await waitCaughtUp(ctx, `${ctx.config.TDB_NAMESPACE}.processor`, ctx.topics.changes);
  const ops = new Set(events.map((e) => e.operation));
  expect([...ops].sort()).toEqual(['CREATE', 'DELETE', 'NOT_TRANSMITTED', 'UPDATE']);
  const expected = expectedCounts(events, ctx, DATES);
  expect(expected.size).toBeGreaterThan(100);
  expect(sortedEntries(await deltaCounts(ctx.clickhouse, DATES))).toEqual(sortedEntries(expected));

  // One dossiers row per record (FINAL), deleted ones flagged and without identity.
  const keys = new Set(events.map((e) => e.record_key));
  const lastOp = new Map(events.map((e) => [e.record_key, e.operation]));
  const [d] = await ctx.clickhouse.query<{ n: string; n_deleted: string; without_identity: string }>(
    `SELECT count() AS n, sum(deleted) AS n_deleted, countIf(deleted = 1 AND identite_chiffree = '') AS without_identity FROM ${ctx.clickhouse.database}.dossiers FINAL`,
  );
  expect(Number(d!.n)).toBe(keys.size);
  const deletedCount = [...lastOp.values()].filter((op) => op === 'DELETE').length;
  expect(Number(d!.n_deleted)).toBe(deletedCount);
  expect(Number(d!.without_identity)).toBe(deletedCount);
}, 120_000);

test('a redelivered stream changes nothing (idempotency by version)', async () => {
  const { ctx } = platform;
  const before = {
    counts: sortedEntries(await deltaCounts(ctx.clickhouse, DATES)),
    intervals: await intervalsDigest(ctx.clickhouse),
  };
  const skipped = processor.totals.skipped;
  await produceChanges(ctx, events.slice(0, 1_000));
  await waitCaughtUp(ctx, `${ctx.config.TDB_NAMESPACE}.processor`, ctx.topics.changes);
  expect(processor.totals.skipped - skipped).toBe(1_000);
  expect(sortedEntries(await deltaCounts(ctx.clickhouse, DATES))).toEqual(before.counts);
  expect(await intervalsDigest(ctx.clickhouse)).toEqual(before.intervals);
}, 120_000);

test('status transitions reach the transitions topic and the transitions table, once per transition', async () => {
  const { ctx } = platform;
  const [t] = await ctx.clickhouse.query<{ n: string; ids: string; creations: string }>(
    `SELECT count() AS n, uniqExact(event_id) AS ids, countIf(statut_avant IS NULL) AS creations FROM ${ctx.clickhouse.database}.transitions FINAL`,
  );
  expect(Number(t!.n)).toBe(Number(t!.ids));
  // Every record that ever had a valid image was announced once from "no status".
  expect(Number(t!.creations)).toBeGreaterThanOrEqual(1_500);
  const onTopic = await readTopic<LearnerStatusTransition>(
    platform,
    ctx.topics.transitions,
    (items) => new Set(items.map((i) => i.event_id)).size >= Number(t!.ids),
  );
  expect(new Set(onTopic.map((i) => i.event_id)).size).toBe(Number(t!.ids));
  expect(onTopic.every((i) => i.cause === 'NEW_DATA' && i.to !== i.from)).toBe(true);
}, 60_000);

test('an image the status engine refuses goes to the dead-letter topic naming the field, and counts nothing', async () => {
  const { ctx } = platform;
  const good = events.find((e) => e.operation === 'CREATE')!;
  const bad = changeEvent('CREATE', 1, {
    ...good.after!,
    id_erp_apprenant: 'BAD-1',
    date_fin_formation: good.after!.date_entree_formation - 10,
  });
  const before = sortedEntries(await deltaCounts(ctx.clickhouse, DATES));
  await produceChanges(ctx, [bad]);
  const [rejected] = await readTopic<RejectedRecord>(
    platform,
    ctx.topics.deadLetter,
    (items) => items.length >= 1,
  );
  expect(rejected!.event_id).toBe(bad.event_id);
  expect(rejected!.errors[0]).toMatchObject({ code: 'FIN_AVANT_ENTREE', path: 'date_fin_formation' });
  await waitCaughtUp(ctx, `${ctx.config.TDB_NAMESPACE}.processor`, ctx.topics.changes);
  expect(sortedEntries(await deltaCounts(ctx.clickhouse, DATES))).toEqual(before);
}, 60_000);

test('transmission reports reach the transmission log', async () => {
  const { ctx } = platform;
  await produceTransmission(ctx, {
    batch_id: '0b7c8f0e-1111-4c1e-9d7a-2f6f8e4c9a01',
    received_at: Date.UTC(2025, 0, 15, 9, 30),
    connector: 'api-v3',
    erp: 'ypareo',
    organisme_uai: '0751234J',
    organisme_siret: '13002526500013',
    recus: 120,
    acceptes: 117,
    rejetes: 3,
    inchanges: 100,
    crees: 10,
    modifies: 7,
    non_transmis: 2,
  });
  const rows = await eventually(
    () =>
      ctx.clickhouse.query<Record<string, string>>(`SELECT * FROM ${ctx.clickhouse.database}.transmissions`),
    (r) => r.length > 0,
  );
  expect(rows[0]).toMatchObject({
    organisme_uai: '0751234J',
    received_at: '2025-01-15 09:30:00',
    recus: 120,
    rejetes: 3,
    non_transmis: 2,
    erp: 'ypareo',
  });
}, 60_000);
