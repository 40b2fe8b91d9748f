/**
 * The fact tables of a freshly migrated namespace (system.columns on the real ClickHouse) against
 * the dimension descriptors (streams/facts/descriptors.ts): the processor's column lists name
 * every column of dossiers, statut_intervalles and effectifs_deltas in table order, each dimension
 * has its descriptor's type and no DEFAULT expression, the territory pre-aggregate carries exactly
 * the territorial dimensions; then one learner's rows written through the processor's TSV sink
 * read back with every dimension in its own column.
 */
import { randomBytes } from 'node:crypto';
import { createClickHouse, type ClickHouse } from '../../infra/clickhouse/client';
import { migrate } from '../../infra/clickhouse/migrate';
import { loadConfig } from '../../infra/config';
import { silentProgress } from '../../infra/services/progress';
import { DIMENSION_KEYS, DIMENSIONS, NO_DIMENSIONS, type Dimensions } from '../../streams/facts/dimensions';
import { deltaRows, intervalRows } from '../../streams/facts/rows';
import { dossierRow } from '../../streams/processor/facts';
import { COLUMNS, createFactSink, type FactSink } from '../../streams/processor/sink';
import type { LearnerState } from '../../streams/processor/state';
import { dayFromIso } from '../../streams/status/calendar';

const ns = `t_dims_${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, TDB_NAMESPACE: ns, LOG_LEVEL: 'warn' });
let ch: ClickHouse;
let sink: FactSink;

beforeAll(async () => {
  ch = createClickHouse(config);
  await migrate(ch, silentProgress);
  sink = createFactSink(config);
}, 60_000);

afterAll(async () => {
  await ch?.command(`DROP DATABASE IF EXISTS ${ns}`).catch(() => undefined);
  await sink?.close();
  await ch?.close();
});

interface Column {
  name: string;
  type: string;
  default_kind: string;
}

/** A table's columns in their table order (ClickHouse 18.16 has no `position` column: listed in that order). */
const columnsOf = (table: string) =>
  ch.query<Column>(
    `SELECT name, type, default_kind FROM system.columns WHERE database = '${ns}' AND table = '${table}'`,
  );

const TYPES = new Map<string, string>(DIMENSIONS.map((d) => [d.name, d.type]));

describe.each(['dossiers', 'statut_intervalles', 'effectifs_deltas'] as const)('%s', (table) => {
  it('has the columns the processor writes, in table order, and the descriptors’ dimension types', async () => {
    const cols = await columnsOf(table);
    expect(cols.map((c) => c.name)).toEqual([...COLUMNS[table]]);
    const dims = cols.filter((c) => TYPES.has(c.name));
    expect(dims.map((c) => c.name)).toEqual([...DIMENSION_KEYS]);
    for (const c of dims) expect([c.name, c.type, c.default_kind]).toEqual([c.name, TYPES.get(c.name), '']);
  });
});

it('effectifs_territoire carries the territorial dimensions, and only those', async () => {
  const cols = await columnsOf('effectifs_territoire');
  const territorial = DIMENSIONS.filter((d) => d.territorial).map((d) => [d.name, d.type]);
  expect(territorial.length).toBeGreaterThan(0);
  expect(cols.map((c) => c.name).slice(0, 2)).toEqual(['statut', 'jour']);
  expect(cols.at(-1)).toMatchObject({ name: 'n', type: 'Int64' });
  const middle = cols.slice(2, -1).map((c) => [c.name, c.type]);
  expect([...middle].sort()).toEqual([...territorial].sort());
});

it('each descriptor’s default is its ClickHouse type’s default (what rows written before its column hold)', () => {
  for (const d of DIMENSIONS)
    expect([d.name, d.type, d.default]).toEqual([d.name, d.type, d.type === 'String' ? '' : 0]);
  expect(Object.keys(NO_DIMENSIONS)).toEqual([...DIMENSION_KEYS]);
});

it('rows written through the TSV sink read back with every dimension in its own column', async () => {
  // A distinct value per dimension: a shifted or missing cell lands in the wrong column.
  const dims = Object.fromEntries(
    DIMENSIONS.map((d, i) => [d.name, d.type === 'String' ? `v${i}-${d.name}` : 1]),
  ) as unknown as Dimensions;
  const key = 'DIMS-ROUND-TRIP';
  const debut = dayFromIso('2024-09-02');
  const after = { intervals: [{ valeur: 'APPRENTI' as const, debut, fin: debut + 30 }], dims };
  const state: LearnerState = {
    v: 1,
    op: 'CREATE',
    part: 0,
    person_key: 'p',
    rec: {
      dims,
      commune: '69123',
      entree: debut,
      fin: debut + 30,
      age_entree: 17,
      libelle: null,
      identite: 'eA==',
    },
    parcours: [{ valeur: 'APPRENTI', date: debut }],
    slots: 1,
    statut: 'APPRENTI',
    t: debut,
    alerts: [],
  };
  await sink.insert('effectifs_deltas', deltaRows(key, 1, 'b-dims', null, after), 'dims-d');
  await sink.insert('statut_intervalles', intervalRows(key, 1, after, 0), 'dims-i');
  await sink.insert('dossiers', [dossierRow(key, state, debut, Date.UTC(2024, 8, 2))!], 'dims-o');
  for (const table of ['effectifs_deltas', 'statut_intervalles', 'dossiers']) {
    const rows = await ch.query<Record<string, unknown>>(
      `SELECT ${DIMENSION_KEYS.join(', ')} FROM ${ns}.${table} WHERE record_key = '${key}'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect([table, r]).toEqual([table, dims]);
  }
});
