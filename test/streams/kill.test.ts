/**
 * Exactly-once effect under crashes (issue 5, point 4): the same 100,000-event change stream is
 * processed by `tdb processor run` child processes in two namespaces, one uninterrupted, one
 * killed with SIGKILL at random moments and restarted; the ClickHouse facts must be equal:
 * sum(delta) per status × département at several dates, the intervals table (FINAL), the dossiers
 * table (FINAL). Environment: KILL_TEST_EVENTS (default 100000), KILL_TEST_KILLS (default 6).
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DossierApprenantChange } from '../../schemas/generated/DossierApprenantChange';
import { dayFromIso } from '../../streams/status/calendar';
import { createTestPlatform, ORGANISMES_CSV, ZONES_EMPLOI_CSV, type TestPlatform } from '../support/platform';
import { produceChanges } from './support/changes';
import { spawnTdb } from '../support/tdb-process';

const spawnProcessor = (env: Record<string, string>) => spawnTdb('processor', ['processor', 'run'], env);
import { deltaCounts, expectedCounts, intervalsDigest, sortedEntries, waitCaughtUp } from './support/facts';
import { changeStream } from './support/stream';

const EVENTS = Number(process.env.KILL_TEST_EVENTS ?? 100_000);
const KILLS = Number(process.env.KILL_TEST_KILLS ?? 6);
const TODAY = '2025-01-15';
const DATES = ['2023-10-01', '2024-01-15', '2024-06-01', '2024-10-01', '2025-01-15', '2025-06-30'].map(
  dayFromIso,
);
const ENV = {
  TDB_CLOCK: TODAY,
  TDB_ORGANISMES_CSV: ORGANISMES_CSV,
  TDB_ZONES_EMPLOI_CSV: ZONES_EMPLOI_CSV,
  TDB_MISSIONS_LOCALES_CSV: path.join(__dirname, 'fixtures', 'missions-locales.csv'),
  TDB_PROCESSOR_SESSION_TIMEOUT_MS: '6000',
};

let uninterrupted: TestPlatform;
let killed: TestPlatform;
let events: DossierApprenantChange[];

beforeAll(async () => {
  uninterrupted = await createTestPlatform(ENV);
  killed = await createTestPlatform(ENV);
  const { ctx } = uninterrupted;
  events = [
    ...changeStream({
      records: Math.round(EVENTS * 0.6),
      events: EVENTS,
      today: dayFromIso(TODAY),
      organismes: ctx.organismes,
      territoires: ctx.territoires,
      dataKey: ctx.secrets.dataKey,
    }),
  ];
  await Promise.all([produceChanges(uninterrupted.ctx, events), produceChanges(killed.ctx, events)]);
}, 600_000);

afterAll(async () => {
  await Promise.all([uninterrupted?.cleanup(), killed?.cleanup()]);
});

const groupOf = (p: TestPlatform) => `${p.config.TDB_NAMESPACE}.processor`;
const envOf = (p: TestPlatform) => ({ ...ENV, TDB_NAMESPACE: p.config.TDB_NAMESPACE });

test(`SIGKILL at random moments during a ${EVENTS.toLocaleString('en')}-event stream changes no fact`, async () => {
  // The reference: one uninterrupted run, stopped gracefully.
  const ref = spawnProcessor(envOf(uninterrupted));
  await waitCaughtUp(uninterrupted.ctx, groupOf(uninterrupted), uninterrupted.ctx.topics.changes, 600_000);
  ref.child.kill('SIGTERM');
  expect(await ref.exited).toBe(0);

  // The killed run.
  let kills = 0;
  const logs: string[] = [];
  let selfKills = 0;
  while (kills < KILLS) {
    if (kills % 2 === 0) {
      // A SIGKILL from outside at a random moment.
      const p = spawnProcessor(envOf(killed));
      await Promise.race([p.joined, p.exited]);
      await sleep(200 + Math.random() * 2_500);
      p.child.kill('SIGKILL');
      await p.exited;
      logs.push(p.stderr());
    } else {
      // A SIGKILL inside the protocol's crash window (after the delta insert, before the state).
      const p = spawnProcessor({ ...envOf(killed), TDB_FAULT_KILL_AFTER_DELTAS: '0.15' });
      const timer = new AbortController();
      const code = await Promise.race([
        p.exited,
        sleep(60_000, 'timeout' as const, { signal: timer.signal }).catch(() => null),
      ]);
      timer.abort();
      if (code === 'timeout') p.child.kill('SIGKILL');
      await p.exited;
      if (p.stderr().includes('fault injection')) selfKills++;
      logs.push(p.stderr());
    }
    kills++;
  }
  const last = spawnProcessor(envOf(killed));
  await waitCaughtUp(killed.ctx, groupOf(killed), killed.ctx.topics.changes, 600_000);
  last.child.kill('SIGTERM');
  expect(await last.exited).toBe(0);
  logs.push(last.stderr());

  expect(selfKills).toBeGreaterThan(0);
  const recoveries = logs.join('').match(/pending batch left behind: (applied|dropped)/g) ?? [];
  process.stderr.write(
    `kill test: ${kills} kills (${selfKills} inside the crash window), ${recoveries.length} pending batches recovered (${recoveries.filter((r) => r.endsWith('applied')).length} applied, ${recoveries.filter((r) => r.endsWith('dropped')).length} dropped)\n`,
  );

  const a = uninterrupted.ctx.clickhouse;
  const b = killed.ctx.clickhouse;
  const countsA = sortedEntries(await deltaCounts(a, DATES));
  expect(countsA.length).toBeGreaterThan(200);
  expect(sortedEntries(await deltaCounts(b, DATES))).toEqual(countsA);
  // And both equal the status engine applied directly to the last images.
  expect(countsA).toEqual(sortedEntries(expectedCounts(events, uninterrupted.ctx, DATES)));
  expect(await intervalsDigest(b)).toEqual(await intervalsDigest(a));
  const dossiers = (ch: typeof a) =>
    ch.query(
      `SELECT count() AS n, toString(sum(cityHash64(record_key, version, toString(operation), deleted, departement, statut_en_cours))) AS h FROM ${ch.database}.dossiers FINAL`,
    );
  expect(await dossiers(b)).toEqual(await dossiers(a));
}, 1_800_000);
