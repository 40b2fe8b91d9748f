/**
 * SQL proven on current ClickHouse (issue 10 §4; docs/clickhouse-versions.md): every migration is
 * applied through infra/clickhouse/migrate.ts, and one small fact set is loaded the way the
 * processor writes it, into two engines: the real ClickHouse 18.16 server (a namespace of its
 * own) and chdb, embedded current ClickHouse (installed on demand into the cache folder). Then
 * every variant of every case (cases.ts: every builder of registry.ts) runs on both, and their
 * rows must be equal, and not empty unless the case says why.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createClickHouse, type ClickHouse } from '../../infra/clickhouse/client';
import { migrate } from '../../infra/clickhouse/migrate';
import { loadConfig } from '../../infra/config';
import { silentProgress } from '../../infra/services/progress';
import { markerRow } from '../../streams/processor/batch';
import { transitionRow } from '../../streams/processor/facts';
import { transmissionRow } from '../../streams/processor/run';
import { COLUMNS, createFactSink, toTsv, type FactSink, type FactTable } from '../../streams/processor/sink';
import { loadOrganismes } from '../../streams/referentiels/organismes';
import { loadTerritoires } from '../../streams/referentiels/territoires';
import { dayFromIso, isoFromDay } from '../../streams/status';
import { buildDataset } from '../api/support/dataset';
import type { DeltaRow } from '../../streams/facts/rows';
import { ORGANISMES_CSV, ZONES_EMPLOI_CSV } from '../support/platform';
import { CASES, type Engine, type Fixture } from './cases';
import { openChdb, type ChdbEngine } from './engine';

const TODAY = '2025-03-15';
const LEARNERS = 400;

const config = loadConfig({ ...process.env, LOG_LEVEL: 'warn' });
const database = `t_chdb_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

/** The fact set: generated learners (versions, deletions, unreliable organisations), transitions, transmissions. */
function buildFixture(): Fixture {
  const territoires = loadTerritoires({ zonesEmploiCsv: ZONES_EMPLOI_CSV });
  const organismes = loadOrganismes(ORGANISMES_CSV, territoires);
  const todayDay = dayFromIso(TODAY);
  const { dataset, rows } = buildDataset(
    { territoires, organismes },
    todayDay,
    Buffer.alloc(32, 7),
    LEARNERS,
    23,
  );
  const landed = { id: randomUUID(), markerDay: TODAY };
  const deltas: DeltaRow[] = [markerRow(landed.id, landed.markerDay), ...rows.deltas];
  // A record whose text needs TabSeparated escaping (tab, line break, backslash, quote), deleted so
  // that it counts nowhere: the sink's encoding must read back identically on both engines.
  const tricky = {
    ...rows.dossiers[0]!,
    record_key: 'tsv\tescapes',
    version: 9,
    deleted: 1,
    operation: 'DELETE',
  };
  tricky.code_commune_insee = "a\\b\nc'd\re";
  const transitions = dataset.learners.slice(0, 60).flatMap(({ learner }, i) =>
    learner.parcours.slice(1).map((p, j) =>
      transitionRow(
        {
          event_id: `${learner.recordKey}-${j}`,
          record_key: learner.recordKey,
          person_key: i % 2 ? null : `p-${i}`,
          version: 1,
          from: learner.parcours[j]!.valeur,
          to: p.valeur,
          effective_date: p.date,
          cause: j % 2 ? 'ELAPSED_TIME' : 'NEW_DATA',
          detected_at: Date.parse('2025-03-15T08:00:00Z') + i * 1000,
          organisme_uai: learner.dims.organisme_uai,
          organisme_siret: learner.dims.organisme_siret,
        },
        learner.dims.departement,
      ),
    ),
  );
  const transmitters = dataset.focus.map((o) => o.uai);
  const reports = transmitters.flatMap((uai, k) =>
    [0, 0, 1, 5, 40].map((daysAgo, n) => ({
      batch_id: `00000000-0000-4000-8000-0000000000${k}${n}`,
      received_at: Date.parse(`${isoFromDay(todayDay - daysAgo)}T0${n}:15:00Z`),
      connector: n % 2 ? 'fichier' : 'api',
      erp: n === 3 ? null : 'ypareo',
      organisme_uai: uai,
      organisme_siret: dataset.focus[k]!.siret,
      recus: 10 + n,
      acceptes: 9 + n,
      rejetes: 1,
      inchanges: n,
      crees: 5,
      modifies: 4,
      non_transmis: n % 3,
    })),
  );
  // The same report delivered twice (at-least-once): the ReplacingMergeTree keeps one, read FINAL.
  reports.push(reports[0]!);
  return {
    database,
    today: TODAY,
    todayDay,
    dataset,
    territoires,
    facts: {
      deltas,
      intervals: rows.intervals,
      dossiers: [...rows.dossiers, tricky],
      transitions,
      transmissions: reports.map(transmissionRow),
    },
    landedBatch: landed,
    transmitters,
  };
}

/** Inserts the fact set as the processor does: the sink's TabSeparated inserts, the transmissions as JSON rows. */
async function load(engine: Engine, fx: Fixture): Promise<void> {
  const tables: [FactTable, readonly object[]][] = [
    ['dossiers', fx.facts.dossiers],
    ['statut_intervalles', fx.facts.intervals],
    ['transitions', fx.facts.transitions],
    ['effectifs_deltas', fx.facts.deltas],
  ];
  for (const [t, rows] of tables) await engine.sinkInsert(engine.ch, t, rows);
  await engine.ch.insert('transmissions', fx.facts.transmissions);
}

/** Rows in a canonical order when the statement does not order them. */
const canonical = (rows: unknown[], ordered: boolean) =>
  ordered
    ? rows
    : rows
        .map((r) => JSON.stringify(r))
        .sort()
        .map((r) => JSON.parse(r) as unknown);

let fx: Fixture;
let server: Engine;
let embedded: Engine;
let chdb: ChdbEngine;
const sinks = new Map<string, FactSink>();
const serverDatabases: ClickHouse[] = [];

beforeAll(async () => {
  fx = buildFixture();
  const serverCh = (db: string) => {
    const ch = createClickHouse(config, { database: db });
    serverDatabases.push(ch);
    return ch;
  };
  const main = serverCh(database);
  const [server0] = await main.query<{ tz: string }>('SELECT timezone() AS tz');
  chdb = await openChdb(config.TDB_CACHE_DIR, server0!.tz);
  server = {
    name: 'ClickHouse server',
    ch: main,
    other: serverCh,
    async sinkInsert(ch, table, rows) {
      let s = sinks.get(ch.database);
      if (!s) sinks.set(ch.database, (s = createFactSink({ ...config, clickhouseDatabase: ch.database })));
      await s.insert(table, rows, `${randomUUID()}-${table.replace(/_/g, '-')}`);
    },
  };
  embedded = {
    name: `chdb ${chdb.version}`,
    ch: chdb.clickhouse(database),
    other: (db) => chdb.clickhouse(db),
    async sinkInsert(ch, table, rows) {
      await chdb.clickhouse(ch.database).insertTsv(table, COLUMNS[table], toTsv(COLUMNS[table], rows));
    },
  };
  for (const e of [server, embedded]) {
    expect(await migrate(e.ch, silentProgress)).toBeGreaterThan(0);
    await load(e, fx);
  }
}, 20 * 60_000);

afterAll(async () => {
  await server?.ch.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  await server?.ch.command(`DROP DATABASE IF EXISTS ${database}_replay`).catch(() => undefined);
  for (const s of sinks.values()) await s.close();
  for (const ch of serverDatabases) await ch.close();
  chdb?.close();
});

it('the two engines are ClickHouse 18.16 and a current release (24 or newer)', async () => {
  const [row] = await server.ch.query<{ v: string }>('SELECT version() AS v');
  expect(row?.v).toMatch(/^18\.16\./);
  expect(Number(chdb.version.split('.')[0])).toBeGreaterThanOrEqual(24);
  expect(fx.facts.deltas.length).toBeGreaterThan(1000);
});

describe.each(CASES.map((c) => [`${c.module} (${c.builders.join(', ')})`, c] as const))('%s', (_, c) => {
  // Variants are built from the fixture, which exists only once beforeAll ran: one test per case.
  it(
    'answers the same on ClickHouse 18.16 and on current ClickHouse',
    async () => {
      const variants = c.variants(fx);
      expect(variants.length).toBeGreaterThan(0);
      for (const v of variants) {
        const [a, b] = await Promise.all([
          v.run(server).catch((err: Error) => new Error(`${server.name}: ${err.message}`)),
          v.run(embedded).catch((err: Error) => new Error(`${embedded.name}: ${err.message}`)),
        ]);
        if (a instanceof Error || b instanceof Error)
          throw new Error(
            `${v.name}: ${[a, b]
              .filter((x) => x instanceof Error)
              .map((x) => (x as Error).message)
              .join('; ')}`,
          );
        const [ra, rb] = [canonical(a, v.ordered ?? false), canonical(b, v.ordered ?? false)];
        // The row count and the first differing row (a diff of whole tables would bury it).
        const at = Math.max(
          0,
          ra.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(rb[i])),
        );
        expect({ variant: v.name, rows: rb.length, row: at, first: rb[at] }).toEqual({
          variant: v.name,
          rows: ra.length,
          row: at,
          first: ra[at],
        });
        if (v.empty === undefined)
          expect({ variant: v.name, empty: a.length === 0 }).toEqual({ variant: v.name, empty: false });
        else expect({ variant: v.name, rows: a }).toEqual({ variant: v.name, rows: [] });
      }
    },
    5 * 60_000,
  );
});
