/**
 * The indicators match, on a generated dataset, the counts computed independently from the same
 * records with the status engine (computeParcours, counterAt): at past dates, today (including
 * transitions caused by elapsed time alone) and in the future, with every filter, every group-by
 * and series, through both fact tables (effectifs_deltas and the effectifs_territoire aggregate).
 */
import { dayFromIso } from '../../streams/status';
import { COUNT_FIELDS, type Counts } from '../../api/secrecy';
import { GROUP_DIMENSION_NAMES, GROUP_DIMENSIONS } from '../../api/indicateurs/queries';
import { FILTER_NAMES, FILTERS } from '../../api/sql/filters';
import { NO_DIMENSIONS } from '../../streams/facts/dimensions';
import { canPublish } from '../../api/secrecy/cell-key';
import { SEUIL_POPULATION, populationOf } from '../../api/secrecy/disclosure';
import type { Learner } from './support/facts';
import { apiFixture, bearer, TODAY, type ApiFixture } from './support/app';
import { CFD_TEMPS, counted, expectedBy, expectedCounts } from './support/dataset';

let fx: ApiFixture;
let admin: Record<string, string>;

beforeAll(async () => {
  fx = await apiFixture(2000);
  admin = bearer(fx.token({ role: 'admin', scope: [] }));
}, 120_000);

afterAll(async () => {
  await fx?.close();
});

const counts = (body: Record<string, unknown>): Counts =>
  Object.fromEntries(COUNT_FIELDS.map((f) => [f, body[f]])) as Counts;

async function get(url: string, headers: Record<string, string> = admin) {
  const r = await fx.get(url, headers);
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return r.json() as Record<string, unknown>;
}

/** The most frequent value of a dimension among counted learners (a filter value that selects many). */
function frequent(key: (l: Learner) => string, unknown = ''): string {
  const n = new Map<string, number>();
  for (const e of fx.ds.learners.filter(counted)) n.set(key(e.learner), (n.get(key(e.learner)) ?? 0) + 1);
  const best = [...n.entries()].filter(([k]) => k !== unknown).sort((a, b) => b[1] - a[1])[0];
  if (!best) throw new Error(`the dataset has no learner with a known value (≠ "${unknown}")`);
  return best[0];
}

describe('GET /api/v1/indicateurs', () => {
  it.each(['2023-10-01', '2024-06-30', '2024-09-15', '2025-01-31', '2025-09-01'])(
    'matches the status engine at %s',
    async (date) => {
      const body = await get(`/api/v1/indicateurs?date=${date}`);
      expect(body.date).toBe(date);
      expect(counts(body)).toEqual(expectedCounts(fx.ds, dayFromIso(date)));
      expect(body.masque).toEqual([]);
    },
  );

  it("uses today's date (the platform clock) when none is given", async () => {
    const body = await get('/api/v1/indicateurs');
    expect(body.date).toBe(TODAY);
    const expected = expectedCounts(fx.ds, dayFromIso(TODAY));
    expect(counts(body)).toEqual(expected);
    expect(expected.apprenants).toBeGreaterThan(500); // the dataset is not trivially empty
    expect(expected.rupturants).toBeGreaterThan(0);
    expect(expected.abandons).toBeGreaterThan(0);
  });

  it('"today" includes transitions caused by elapsed time alone (RUPTURANT → ABANDON after 180 days)', async () => {
    // Ruptures on 2024-08-01 and 2024-12-01; nothing received since. Day 181 without contract:
    // 2025-01-28 for the first; the second is still RUPTURANT on 2025-03-15.
    const at = async (date?: string) =>
      counts(await get(`/api/v1/indicateurs?cfd=${CFD_TEMPS}${date ? `&date=${date}` : ''}`));
    expect(await at('2025-01-27')).toEqual({
      apprenants: 2,
      apprentis: 0,
      inscrits: 0,
      rupturants: 2,
      abandons: 0,
    });
    expect(await at('2025-01-28')).toEqual({
      apprenants: 1,
      apprentis: 0,
      inscrits: 0,
      rupturants: 1,
      abandons: 1,
    });
    expect(await at()).toEqual({ apprenants: 1, apprentis: 0, inscrits: 0, rupturants: 1, abandons: 1 });
    expect(await at('2025-05-30')).toEqual({
      apprenants: 0,
      apprentis: 0,
      inscrits: 0,
      rupturants: 0,
      abandons: 2,
    });
  });

  // Every filter of the descriptors (streams/facts/descriptors.ts), on its most frequent known value.
  const filters = FILTER_NAMES.map((name) => {
    const col = FILTERS[name].column;
    const unknown = String(NO_DIMENSIONS[col]);
    return [name, (l: Learner) => String(l.dims[col]), unknown] as const;
  });
  it.each(filters)('filter %s matches the status engine', async (name, key, unknown) => {
    const value = frequent(key, unknown);
    for (const date of ['2024-03-01', TODAY]) {
      const body = await get(`/api/v1/indicateurs?date=${date}&${name}=${encodeURIComponent(value)}`);
      const expected = expectedCounts(fx.ds, dayFromIso(date), (l) => key(l) === value);
      expect(counts(body)).toEqual(expected);
      if (date === TODAY) expect(expected.apprenants).toBeGreaterThan(0); // the value selects learners
    }
  });

  it('combined filters (territory and non-territory) match', async () => {
    const dep = frequent((l) => l.dims.departement);
    const body = await get(`/api/v1/indicateurs?departement=${dep}&sexe=F&niveau=3`);
    expect(counts(body)).toEqual(
      expectedCounts(
        fx.ds,
        dayFromIso(TODAY),
        (l) => l.dims.departement === dep && l.dims.sexe === 'F' && l.dims.niveau === '3',
      ),
    );
  });
});

describe('GET /api/v1/indicateurs/par/{dimension}', () => {
  // Every group-by of the descriptors, keyed on its column.
  const keys = Object.fromEntries(
    GROUP_DIMENSION_NAMES.map((g) => [g, (l: Learner) => String(l.dims[GROUP_DIMENSIONS[g]])]),
  );
  it.each(GROUP_DIMENSION_NAMES)(
    'par %s matches the status engine, with a total equal to /indicateurs',
    async (dimension) => {
      for (const date of ['2024-02-15', TODAY]) {
        const body = (await get(`/api/v1/indicateurs/par/${dimension}?date=${date}`)) as {
          lignes: (Counts & { code: string | null; libelle: string | null })[];
          total: Counts;
        };
        const expected = expectedBy(fx.ds, dayFromIso(date), keys[dimension]!);
        expect(expected.size).toBeGreaterThan(1); // several groups: the dataset has values
        const got = new Map(body.lignes.map((l) => [l.code ?? '', counts(l)]));
        expect(got).toEqual(expected);
        expect(counts(body.total)).toEqual(expectedCounts(fx.ds, dayFromIso(date)));
        const codes = body.lignes.map((l) => l.code ?? '');
        expect(codes).toEqual([...codes].sort());
      }
    },
  );

  it('group-by with a filter, and labels from the referentials', async () => {
    const region = frequent((l) => l.dims.region);
    const body = (await get(`/api/v1/indicateurs/par/departement?region=${region}`)) as {
      lignes: (Counts & { code: string; libelle: string })[];
    };
    const expected = expectedBy(
      fx.ds,
      dayFromIso(TODAY),
      (l) => l.dims.departement,
      (l) => l.dims.region === region,
    );
    expect(new Map(body.lignes.map((l) => [l.code, counts(l)]))).toEqual(expected);
    for (const l of body.lignes) expect(l.libelle).toEqual(expect.any(String));
    const lyon = (await get('/api/v1/indicateurs/par/departement?departement=69')) as {
      lignes: { libelle: string }[];
    };
    if (lyon.lignes.length) expect(lyon.lignes[0]!.libelle).toBe('Rhône');
  });
});

describe('GET /api/v1/indicateurs/series', () => {
  it('monthly over two years matches the status engine at each step', async () => {
    const body = (await get('/api/v1/indicateurs/series?from=2023-03-15&to=2025-03-15&pas=mois')) as {
      points: (Counts & { date: string })[];
    };
    expect(body.points).toHaveLength(25);
    for (const p of body.points) expect(counts(p)).toEqual(expectedCounts(fx.ds, dayFromIso(p.date)));
  });

  it('weekly and daily, with filters (both fact tables)', async () => {
    const region = frequent((l) => l.dims.region);
    const w = (await get(
      `/api/v1/indicateurs/series?from=2024-08-20&to=2024-10-20&pas=semaine&region=${region}`,
    )) as {
      points: (Counts & { date: string })[];
    };
    expect(w.points.map((p) => p.date).slice(0, 3)).toEqual(['2024-08-20', '2024-08-27', '2024-09-03']);
    for (const p of w.points)
      expect(counts(p)).toEqual(expectedCounts(fx.ds, dayFromIso(p.date), (l) => l.dims.region === region));
    const d = (await get('/api/v1/indicateurs/series?from=2024-08-25&to=2024-09-10&pas=jour&sexe=M')) as {
      points: (Counts & { date: string })[];
    };
    expect(d.points).toHaveLength(17);
    for (const p of d.points)
      expect(counts(p)).toEqual(expectedCounts(fx.ds, dayFromIso(p.date), (l) => l.dims.sexe === 'M'));
  });

  it('month steps keep the day of the month, clamped to short months', async () => {
    const body = (await get('/api/v1/indicateurs/series?from=2024-01-31&to=2024-05-31&pas=mois')) as {
      points: { date: string }[];
    };
    expect(body.points.map((p) => p.date)).toEqual([
      '2024-01-31',
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
    ]);
  });

  it('to before from, or too many points: 400 naming the field', async () => {
    const a = await fx.get('/api/v1/indicateurs/series?from=2025-01-01&to=2024-01-01', admin);
    expect(a.statusCode).toBe(400);
    expect(a.json().champ).toBe('to');
    const b = await fx.get('/api/v1/indicateurs/series?from=2000-01-01&to=2025-01-01&pas=jour', admin);
    expect(b.statusCode).toBe(400);
    expect(b.json().champ).toBe('pas');
  });
});

describe('GET /api/v1/indicateurs/national', () => {
  it('is public and gives the national indicators under the public disclosure control (rounded to 5)', async () => {
    const body = await get('/api/v1/indicateurs/national', {});
    const expected = expectedCounts(fx.ds, dayFromIso(TODAY));
    expect(body.date).toBe(TODAY); // a large population keeps its daily figure
    expect(body.masque).toEqual([]);
    for (const f of COUNT_FIELDS) {
      expect((body[f] as number) % 5).toBe(0);
      expect(Math.abs((body[f] as number) - expected[f])).toBeLessThanOrEqual(4);
      expect(canPublish(body[f] as number, expected[f], populationOf(expected))).toBe(true);
    }
  });
});

describe('public role', () => {
  // Before issue 11 the public got admin's exact figures with 1–4 hidden; now (docs/
  // statistical-disclosure-control.md) a cell under 11 learners is withheld whole, every other
  // count is a multiple of 5 within 4 of the exact one, and the table is at the month's first day
  // when one of its cells is under 100.
  it("gets admin's figures at the published date, rounded to 5, cells under 11 learners withheld", async () => {
    const pub = (await get('/api/v1/indicateurs/par/departement', {})) as {
      date: string;
      lignes: (Counts & { code: string; masque: string[] })[];
    };
    expect(pub.date).toBe('2025-03-01'); // ~100 départements for 2,000 learners: most are small
    const exact = (await get(`/api/v1/indicateurs/par/departement?date=${pub.date}`)) as {
      lignes: (Counts & { code: string })[];
    };
    expect(pub.lignes.map((l) => l.code)).toEqual(exact.lignes.map((l) => l.code));
    let withheld = 0;
    pub.lignes.forEach((l, i) => {
      const e = exact.lignes[i]!;
      const n = populationOf(e);
      if (n < SEUIL_POPULATION) {
        expect(l.masque).toEqual([...COUNT_FIELDS]);
        withheld++;
        return;
      }
      expect(l.masque).toEqual([]);
      for (const f of COUNT_FIELDS) expect(canPublish(l[f], e[f], n)).toBe(true);
    });
    expect(withheld).toBeGreaterThan(0); // 2,000 learners over ~100 départements: small ones exist
    expect(withheld).toBeLessThan(pub.lignes.length);
  });
});
