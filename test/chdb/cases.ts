/**
 * What the engine comparison (engines.test.ts) runs: for every SQL builder of the platform (the
 * `SQL_BUILDERS` of each query module, listed in registry.ts), one case with the variants that
 * exercise it: every filter, every group-by, past and future dates, scopes, paging, the sink's
 * inserts of every fact table, the recovery queries, the access log. Each variant renders its
 * statement with the production builder, runs it on one engine and returns rows; the suite
 * requires the rows of ClickHouse 18.16 and of current ClickHouse (chdb) to be equal.
 *
 * Adapting to a builder whose signature changed: only its case here changes (the fixture, the
 * engines and the comparison do not). A new builder: registry.test.ts fails until it has a case.
 */
import { SQL_BUILDERS as apprenants, type ListSelection } from '../../api/apprenants/queries';
import { logNominativeAccess } from '../../api/apprenants/access-log';
import {
  GROUP_DIMENSION_NAMES,
  SQL_BUILDERS as indicateurs,
  type Selection,
} from '../../api/indicateurs/queries';
import { SQL_BUILDERS as disclosure } from '../../api/indicateurs/disclosure-queries';
import { SQL_BUILDERS as organismes } from '../../api/organismes/queries';
import { FILTER_NAMES, FILTERS, parseFilter, type FilterName, type Filters } from '../../api/sql/filters';
import { SQL_BUILDERS as accessLog, recordAccess } from '../../infra/audit/access-log';
import type { ClickHouse } from '../../infra/clickhouse/client';
import { migrate, readMigrations, SQL_BUILDERS as migrations } from '../../infra/clickhouse/migrate';
import { silentProgress } from '../../infra/services/progress';
import { logDisclosure } from '../../streams/alert-inbox/disclosures';
import { SQL_BUILDERS as pending } from '../../streams/processor/pending';
import { SQL_BUILDERS as replay } from '../../streams/processor/replay';
import { COLUMNS, SQL_BUILDERS as sink, type FactTable } from '../../streams/processor/sink';
import type { Territoires } from '../../streams/referentiels/territoires';
import type { Statut } from '../../streams/status';
import { expectedCounts, type Dataset } from '../api/support/dataset';
import type { FactRows } from '../api/support/facts';

/** One engine, as the cases see it. */
export interface Engine {
  readonly name: string;
  /** The fixture's database (migrated, facts loaded). */
  readonly ch: ClickHouse;
  /** Another database of the same engine (created, not migrated), for cases that change data. */
  other(database: string): ClickHouse;
  /** Fact rows inserted as the processor inserts them (streams/processor/sink.ts: COLUMNS, toTsv). */
  sinkInsert(ch: ClickHouse, table: FactTable, rows: readonly object[]): Promise<void>;
}

/** The fact set loaded into both engines (engines.test.ts), and what the cases take from it. */
export interface Fixture {
  database: string;
  /** "Today" of the fact set (YYYY-MM-DD). */
  today: string;
  dataset: Dataset;
  facts: FactRows & { transitions: object[]; transmissions: object[] };
  territoires: Territoires;
  /** A batch whose delta rows (and marker row) were inserted, and its marker day. */
  landedBatch: { id: string; markerDay: string };
  /** Organisations with transmissions. */
  transmitters: string[];
  /** "Today" as a day number. */
  todayDay: number;
}

export interface Variant {
  name: string;
  run(engine: Engine): Promise<unknown[]>;
  /** The statement orders its rows (compared in order); otherwise rows are compared as a multiset. */
  ordered?: boolean;
  /** Why an empty answer is expected (otherwise an empty answer on both engines fails: it would prove nothing). */
  empty?: string;
}

export interface Case {
  /** The query module (path from the repository root, as in registry.ts). */
  module: string;
  /** The builders of that module the variants render. */
  builders: string[];
  variants(fx: Fixture): Variant[];
}

const STATUTS: Statut[] = ['INSCRIT', 'APPRENTI', 'RUPTURANT', 'ABANDON', 'FIN_DE_FORMATION'];
const NO_SELECTION: Selection = { filters: {}, scope: null };

/** The most frequent non-empty value of a filter's column among the counted learners, parsed by the filter. */
function sampleFilter(fx: Fixture, name: FilterName): Filters {
  const column = FILTERS[name].column;
  const freq = new Map<string, number>();
  for (const { learner, deleted } of fx.dataset.learners) {
    const v = String((learner.dims as unknown as Record<string, unknown>)[column] ?? '');
    if (!deleted && v !== '') freq.set(v, (freq.get(v) ?? 0) + 1);
  }
  // The most frequent value among those that count someone at the fixture's today (the status
  // engine's expected counts), so that the filtered statements have rows to compare.
  const value = [...freq]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([v]) => v)
    .find((v) => {
      const c = expectedCounts(
        fx.dataset,
        fx.todayDay,
        (l) => String((l.dims as unknown as Record<string, unknown>)[column]) === v,
      );
      return c.apprenants + c.abandons > 0;
    });
  if (value === undefined)
    throw new Error(`no value of ${column} in the fact set: the filter ${name} cannot be checked`);
  return { [name]: parseFilter(name, value, fx.territoires) };
}

/** Days the counts are taken at: long before, during, at the end of and after the school years of the fact set. */
const days = (fx: Fixture) => [
  '2000-01-01',
  '2023-09-01',
  '2024-10-01',
  fx.today,
  '2025-09-30',
  '2027-01-01',
];

/** Selections: none, each filter alone, two filters, a territorial scope, an organisation scope. */
function selections(fx: Fixture): [string, Selection][] {
  const uai = fx.dataset.focus[0]!.uai;
  const region = sampleFilter(fx, 'region').region!;
  return [
    ['no filter', NO_SELECTION],
    ...FILTER_NAMES.map((n): [string, Selection] => [
      `filter ${n}`,
      { filters: sampleFilter(fx, n), scope: null },
    ]),
    [
      'filters sexe + niveau',
      { filters: { ...sampleFilter(fx, 'sexe'), ...sampleFilter(fx, 'niveau') }, scope: null },
    ],
    ['scope région', { filters: {}, scope: { column: 'region', values: [region, '11'] } }],
    [
      'scope région + filter sexe',
      { filters: sampleFilter(fx, 'sexe'), scope: { column: 'region', values: [region] } },
    ],
    [
      'scope organisations',
      { filters: {}, scope: { column: 'organisme_uai', values: [uai, fx.dataset.focus[1]!.uai] } },
    ],
  ];
}

/**
 * Every row of a table in a total order (every column), to compare two engines' contents. The
 * ReplacingMergeTree tables are read FINAL: which replaced rows a background merge has already
 * dropped differs between engines and runs; what FINAL returns does not. Dates are compared as day
 * numbers: the cleared interval slots hold day 0, which 18.16 prints 0000-00-00 and current
 * ClickHouse 1970-01-01 (the same stored value; no query returns those rows).
 */
async function wholeTable(ch: ClickHouse, table: string, columns: readonly string[]): Promise<unknown[]> {
  const types = new Map(
    (
      await ch.query<{ name: string; type: string }>(
        `SELECT name, type FROM system.columns WHERE database = '${ch.database}' AND table = '${table}'`,
      )
    ).map((c) => [c.name, c.type]),
  );
  const select = columns.map((c) => (types.get(c) === 'Date' ? `toUInt16(${c}) AS ${c}` : c));
  const final = table === 'effectifs_deltas' ? '' : ' FINAL';
  return ch.query(
    `SELECT ${select.join(', ')} FROM ${ch.database}.${table}${final} ORDER BY ${columns.join(', ')}`,
  );
}

export const CASES: Case[] = [
  {
    module: 'infra/clickhouse/migrate.ts',
    builders: Object.keys(migrations),
    variants: () => [
      {
        name: 'the tables every migration made (system.columns)',
        ordered: true,
        run: (e) =>
          e.ch.query(
            `SELECT table, name, type, default_kind, default_expression FROM system.columns WHERE database = '${e.ch.database}' ORDER BY table, name`,
          ),
      },
      {
        name: 'the engines of the tables (system.tables)',
        ordered: true,
        run: (e) =>
          e.ch.query(
            `SELECT name, engine FROM system.tables WHERE database = '${e.ch.database}' ORDER BY name`,
          ),
      },
      {
        name: 'the migrations recorded, and none left to apply',
        run: async (e) => [
          ...(await e.ch.query(`SELECT version, name, checksum FROM ${e.ch.database}.schema_migrations`)),
          { again: await migrate(e.ch, silentProgress), files: readMigrations().length },
        ],
      },
    ],
  },
  {
    module: 'streams/processor/sink.ts',
    builders: ['toTsv', 'runningQuerySql'],
    variants: () => [
      ...(Object.keys(COLUMNS) as FactTable[]).map((t): Variant => ({
        name: `the rows the sink inserted into ${t}`,
        ordered: true,
        run: (e) => wholeTable(e.ch, t, COLUMNS[t]),
      })),
      {
        name: 'a query id that is not running',
        run: (e) => e.ch.query(sink.runningQuerySql('0f1e2d3c-aaaa-4bbb-8ccc-000000000000-deltas')),
      },
    ],
  },
  {
    module: 'streams/processor/run.ts',
    builders: ['transmissionRow'],
    variants: () => [
      {
        name: 'the transmissions inserted (one report sent twice)',
        ordered: true,
        run: (e) =>
          wholeTable(e.ch, 'transmissions', [
            'batch_id',
            'received_at',
            'organisme_uai',
            'organisme_siret',
            'connector',
            'erp',
            'recus',
            'acceptes',
            'rejetes',
            'inchanges',
            'crees',
            'modifies',
            'non_transmis',
          ]),
      },
    ],
  },
  {
    module: 'streams/processor/pending.ts',
    builders: ['batchLandedSql'],
    variants: (fx) => [
      {
        name: 'a batch that landed',
        run: (e) =>
          e.ch.query(pending.batchLandedSql(e.ch.database, fx.landedBatch.id, fx.landedBatch.markerDay)),
      },
      {
        name: 'a batch that did not land',
        run: (e) =>
          e.ch.query(
            pending.batchLandedSql(
              e.ch.database,
              '00000000-0000-4000-8000-000000000000',
              fx.landedBatch.markerDay,
            ),
          ),
      },
      {
        name: 'the right batch on another day',
        run: (e) => e.ch.query(pending.batchLandedSql(e.ch.database, fx.landedBatch.id, '2020-01-01')),
      },
    ],
  },
  {
    module: 'streams/processor/replay.ts',
    builders: ['truncateSql'],
    variants: (fx) => [
      {
        name: 'the rebuilt tables emptied (another database)',
        run: async (e) => {
          const ch = e.other(`${fx.database}_replay`);
          await migrate(ch, silentProgress);
          const tables = ['dossiers', 'statut_intervalles', 'effectifs_deltas'] as const;
          await e.sinkInsert(ch, 'dossiers', fx.facts.dossiers.slice(0, 20));
          await e.sinkInsert(ch, 'statut_intervalles', fx.facts.intervals.slice(0, 20));
          await e.sinkInsert(ch, 'effectifs_deltas', fx.facts.deltas.slice(0, 20));
          const counts = () =>
            Promise.all(
              // FINAL: a background merge may already have replaced a record's older version.
              tables.map((t) =>
                ch.query(
                  `SELECT '${t}' AS t, count() AS n FROM ${ch.database}.${t}${t === 'effectifs_deltas' ? '' : ' FINAL'}`,
                ),
              ),
            );
          const before = (await counts()).flat();
          for (const t of tables) await ch.command(replay.truncateSql(ch.database, t));
          const after = (await counts()).flat();
          await ch.command(`DROP DATABASE ${ch.database}`);
          return [...before, ...after];
        },
      },
    ],
  },
  {
    module: 'api/indicateurs/queries.ts',
    builders: ['countAtSql', 'countByAtSql', 'seriesSql'],
    variants: (fx) => [
      // Every selection today; the broad ones (both tables, both kinds of scope) at every day.
      ...selections(fx).map((s): Variant => ({
        name: `countAtSql ${fx.today}, ${s[0]}`,
        run: (e) => e.ch.query(indicateurs.countAtSql(e.ch.database, fx.today, s[1]).text),
      })),
      ...days(fx).flatMap((day) =>
        selections(fx)
          .filter(([what]) =>
            ['no filter', 'filter sexe', 'scope région', 'scope organisations'].includes(what),
          )
          .map((s): Variant => ({
            name: `countAtSql ${day}, ${s[0]}`,
            run: (e) => e.ch.query(indicateurs.countAtSql(e.ch.database, day, s[1]).text),
            empty: day === '2000-01-01' ? 'before any training of the fact set' : undefined,
          })),
      ),
      ...GROUP_DIMENSION_NAMES.flatMap((dim) =>
        (
          [
            ['no filter', NO_SELECTION],
            ['filter sexe', { filters: sampleFilter(fx, 'sexe'), scope: null }],
            ['filter région', { filters: sampleFilter(fx, 'region'), scope: null }],
          ] as [string, Selection][]
        ).map(([what, sel]): Variant => ({
          name: `countByAtSql ${dim}, ${what}`,
          run: (e) => e.ch.query(indicateurs.countByAtSql(e.ch.database, fx.today, dim, sel).text),
        })),
      ),
      ...selections(fx).map((s): Variant => ({
        name: `seriesSql 2024-06-01 → 2026-06-30, ${s[0]}`,
        run: (e) => e.ch.query(indicateurs.seriesSql(e.ch.database, '2024-06-01', '2026-06-30', s[1]).text),
      })),
      {
        name: 'seriesSql over one day',
        run: (e) => e.ch.query(indicateurs.seriesSql(e.ch.database, fx.today, fx.today, NO_SELECTION).text),
      },
    ],
  },
  {
    module: 'api/apprenants/queries.ts',
    builders: ['listSql', 'listCountSql'],
    variants: (fx) => {
      const lists: [string, ListSelection][] = [
        ['every status', { day: fx.today, filters: {}, scope: null, statuts: STATUTS }],
        [
          'inscrits, rupturants, abandons',
          { day: fx.today, filters: {}, scope: null, statuts: ['INSCRIT', 'RUPTURANT', 'ABANDON'] },
        ],
        ['at 2024-10-01', { day: '2024-10-01', filters: {}, scope: null, statuts: STATUTS }],
        ...FILTER_NAMES.map((n): [string, ListSelection] => [
          `filter ${n}`,
          { day: fx.today, filters: sampleFilter(fx, n), scope: null, statuts: STATUTS },
        ]),
        [
          'scope organisation',
          {
            day: fx.today,
            filters: {},
            scope: { column: 'organisme_uai', values: [fx.dataset.focus[0]!.uai] },
            statuts: STATUTS,
          },
        ],
        ['no status', { day: fx.today, filters: {}, scope: null, statuts: [] }],
      ];
      return [
        ...lists.map(([what, s]): Variant => ({
          name: `listCountSql ${what}`,
          run: (e) => e.ch.query(apprenants.listCountSql(e.ch.database, s).text),
        })),
        ...lists.map(([what, s]): Variant => ({
          name: `listSql ${what}, first page`,
          ordered: true,
          run: (e) => e.ch.query(apprenants.listSql(e.ch.database, s, 0, 50).text),
          empty: s.statuts.length === 0 ? 'no status asked' : undefined,
        })),
        // Paging, on the lists long enough to have a third page of 7.
        ...lists.slice(0, 3).map(([what, s]): Variant => ({
          name: `listSql ${what}, page 3 of 7`,
          ordered: true,
          run: (e) => e.ch.query(apprenants.listSql(e.ch.database, s, 14, 7).text),
        })),
      ];
    },
  },
  {
    module: 'api/organismes/queries.ts',
    builders: Object.keys(organismes),
    variants: (fx) => [
      {
        name: 'transmissionsByOrganismeSql',
        ordered: true,
        run: (e) => e.ch.query(organismes.transmissionsByOrganismeSql(e.ch.database).text),
      },
      ...[...fx.transmitters, '0751234J'].flatMap((uai): Variant[] => {
        const none = fx.transmitters.includes(uai) ? undefined : 'an organisation that never transmitted';
        return [
          {
            name: `lastTransmissionsSql ${uai}, 1`,
            ordered: true,
            empty: none,
            run: (e) => e.ch.query(organismes.lastTransmissionsSql(e.ch.database, uai, 1).text),
          },
          {
            name: `lastTransmissionsSql ${uai}, 20`,
            ordered: true,
            empty: none,
            run: (e) => e.ch.query(organismes.lastTransmissionsSql(e.ch.database, uai, 20).text),
          },
          {
            name: `transmissionTotalsSql ${uai}`,
            run: (e) => e.ch.query(organismes.transmissionTotalsSql(e.ch.database, uai).text),
          },
          {
            name: `transmissionsByDaySql ${uai}, 30 days`,
            ordered: true,
            empty: none,
            run: (e) =>
              e.ch.query(organismes.transmissionsByDaySql(e.ch.database, uai, fx.todayDay - 29).text),
          },
          {
            name: `transmissionsByDaySql ${uai}, 2 days`,
            ordered: true,
            empty: none,
            run: (e) =>
              e.ch.query(organismes.transmissionsByDaySql(e.ch.database, uai, fx.todayDay - 1).text),
          },
        ];
      }),
    ],
  },
  {
    module: 'api/indicateurs/disclosure-queries.ts',
    builders: Object.keys(disclosure),
    variants: (fx) => {
      const month = `${fx.today.slice(0, 8)}01`;
      const filtered = selections(fx).filter(([, s]) => s.scope === null);
      return [
        ...filtered.map(([what, s]): Variant => ({
          name: `publicCellsSql ${fx.today} + ${month}, ${what}`,
          run: (e) => e.ch.query(disclosure.publicCellsSql(e.ch.database, [fx.today, month], s.filters).text),
        })),
        ...GROUP_DIMENSION_NAMES.map((g): Variant => ({
          name: `publicCellsSql ${fx.today}, by ${g}, filter région`,
          run: (e) =>
            e.ch.query(
              disclosure.publicCellsSql(e.ch.database, [fx.today], sampleFilter(fx, 'region'), g).text,
            ),
        })),
        ...filtered.slice(0, 4).map(([what, s]): Variant => ({
          name: `publicSeriesSql from 2024-09-01 to ${fx.today}, ${what}`,
          run: (e) =>
            e.ch.query(disclosure.publicSeriesSql(e.ch.database, '2024-09-01', fx.today, s.filters).text),
        })),
      ];
    },
  },
  {
    module: 'infra/audit/access-log.ts',
    builders: Object.keys(accessLog),
    variants: () => [
      {
        name: 'the read API, the Mission Locale routes and the alert webhooks log their disclosures',
        ordered: true,
        run: async (e) => {
          const at = Date.parse('2025-03-15T10:20:30.456Z');
          await recordAccess(e.ch, {
            at,
            requestId: 'req-1',
            role: 'admin',
            sujet: "l'admin",
            perimetre: [],
            route: '/api/v1/apprenants',
            parametres: { date: '2025-03-15', region: '84', statut: ['INSCRIT'] },
            dateReference: '2025-03-15',
            lignes: 12,
          });
          await logNominativeAccess(e.ch, {
            principal: { role: 'ddets', scope: ['69', '01'], sub: 'ddets-69:agent' },
            requestId: 'req-2',
            route: '/api/v1/apprenants',
            parametres: { uai: '0693446W' },
            dateReference: '2025-03-14',
            lignes: 0,
            at: at + 1000,
          });
          await logDisclosure(e.ch, {
            at: at + 2000,
            requestId: 'journal-7',
            missionLocale: 'ML-69-LYON',
            sujet: 'webhook:crm.ml-lyon.fr',
            route: 'webhook',
            parametres: { alerte: 'a1' },
            dateReference: '2025-03-15',
            lignes: 1,
          });
          return e.ch.query(
            `SELECT toString(at) AS at, request_id, role, sujet, perimetre, route, parametres, toString(date_reference) AS date_reference, lignes FROM ${e.ch.database}.acces_nominatifs ORDER BY at, request_id`,
          );
        },
      },
    ],
  },
];
