/**
 * Differencing attacks on the public indicators (issue 11, point 2), replayed on generated data in
 * real ClickHouse, against the public disclosure control of docs/statistical-disclosure-control.md.
 *
 * Besides the generated learners, three organisations with no generated learner are written:
 * - X: 11 men under contract and one woman, "Marie", whose contract was ruptured on 2025-02-10
 *   (the issue's example: `uai=X` minus `uai=X&sexe=M` is one woman, the hidden rupturant);
 * - Y: 13 learners all under contract ("everyone in one status");
 * - Z: 8 learners, one of them a rupturant (a population below 11, inside a département table).
 *
 * The attacker knows who is enrolled where, with their sex, age band and RQTH flag (the strongest
 * background knowledge: the organisation's roster), and the rules and thresholds, but not the
 * cell-key secret. A learner's status is *not narrowed to one value* when some other world,
 * where that learner has another status and everyone keeps their enrolment and attributes, could
 * have produced every answer the attacker collected (each published count is a possible rounding
 * of that world's count; withheld cells depend on population sizes only, which do not change).
 * The systematic test builds such a world for every learner of the small organisations by
 * swapping their status with another learner's, over every answer of a bounded but systematic
 * enumeration (every single filter and pair of filters from the target's own values, every
 * group-by alone and with each filter). The same attacker, run on the answers the previous
 * per-answer rules (api/secrecy/index.ts protectIndicator / protectTable) gave, finds Marie's
 * status: the test can fail.
 */
import type { DossierV3 } from '../../connectors/simulation/dossiers';
import { GROUP_DIMENSION_NAMES, GROUP_FILTERS, type GroupDimension } from '../../api/indicateurs/queries';
import {
  COUNT_FIELDS,
  protectIndicator,
  protectTable,
  totalOf,
  type Counts,
  type Published,
} from '../../api/secrecy';
import { canPublish, preimage } from '../../api/secrecy/cell-key';
import { populationOf, SEUIL_POPULATION } from '../../api/secrecy/disclosure';
import { FILTER_NAMES, FILTERS, type FilterName } from '../../api/sql/filters';
import type { Organisme } from '../../streams/referentiels/organismes';
import { counterAt, dayFromIso, type Counter } from '../../streams/status';
import { apiFixture, bearer, type ApiFixture } from './support/app';
import { counted, focusOrganismes } from './support/dataset';
import type { Learner } from './support/facts';

/** A month's first day: the attack's date (cells of populations under 100 are dated so anyway). */
const D = '2025-03-01';
const DAY = dayFromIso(D);
const FIXED_DATA_KEY = Buffer.alloc(32, 0x2a).toString('base64');

let fx: ApiFixture;
let X: Organisme;
let Y: Organisme;
let Z: Organisme;

const chosen: Organisme[] = [];
/** The département of X, Y and Z: the first with three organisations free of generated learners. */
let DEP = '';

/** A record of organisation `org`, under contract from 2024-09-02 (ruptured on `rupture` when given). */
function crafted(base: DossierV3, org: Organisme, id: string, sexe: 'M' | 'F', rupture?: string): DossierV3 {
  const d: DossierV3 = { ...base };
  for (const k of Object.keys(d))
    if (k.startsWith('contrat_') || k.startsWith('cause_rupture') || k.startsWith('siret_employeur'))
      delete d[k];
  delete d.date_exclusion_formation;
  Object.assign(d, {
    id_erp_apprenant: id,
    etablissement_formateur_uai: org.uai,
    etablissement_responsable_uai: org.uai,
    etablissement_formateur_siret: org.siret,
    etablissement_responsable_siret: org.siret,
    sexe_apprenant: sexe,
    rqth_apprenant: false,
    apprentissage: true,
    date_entree_formation: '2024-09-02',
    date_fin_formation: '2026-06-30',
    contrat_date_debut: '2024-09-02',
    contrat_date_fin: '2026-06-30',
  });
  if (rupture) d.contrat_date_rupture = rupture;
  return d;
}

beforeAll(async () => {
  fx = await apiFixture(1500, {
    seed: 29,
    env: { TDB_DATA_KEY: FIXED_DATA_KEY },
    extra: (refs, generated) => {
      const used = new Set(generated.map((v) => String(v.etablissement_formateur_uai)));
      for (const o of focusOrganismes(refs.organismes)) used.add(o.uai); // they get generated learners
      const candidates = refs.organismes.all.filter(
        (o) =>
          o.departement !== '' &&
          o.nature !== 'responsable' &&
          refs.organismes.isReliable(o.uai, o.siret) &&
          !used.has(o.uai) &&
          refs.organismes.byUai(o.uai).length === 1,
      );
      const byDep = new Map<string, Organisme[]>();
      for (const o of candidates) byDep.set(o.departement, [...(byDep.get(o.departement) ?? []), o]);
      const dep = [...byDep.keys()].sort().find((d) => byDep.get(d)!.length >= 3);
      if (dep === undefined) throw new Error('no département with three free organisations');
      DEP = dep;
      const free = byDep.get(dep)!;
      chosen.push(free[0]!, free[1]!, free[2]!);
      const [x, y, z] = chosen as [Organisme, Organisme, Organisme];
      const base = generated.find((v) => typeof v.formation_cfd === 'string')!;
      const out: DossierV3[] = [];
      for (let i = 0; i < 11; i++) out.push(crafted(base, x, `X-${i}`, 'M'));
      out.push(crafted(base, x, 'X-MARIE', 'F', '2025-02-10'));
      for (let i = 0; i < 13; i++) out.push(crafted(base, y, `Y-${i}`, i % 3 === 0 ? 'F' : 'M'));
      for (let i = 0; i < 7; i++) out.push(crafted(base, z, `Z-${i}`, 'M'));
      out.push(crafted(base, z, 'Z-R', 'F', '2025-01-20'));
      return out;
    },
  });
  [X, Y, Z] = chosen as [Organisme, Organisme, Organisme];
}, 180_000);

afterAll(async () => {
  await fx?.close();
});

// ---------------------------------------------------------------------------------------------
// The attacker's model of the data: every counted learner, its filter values and counter at D.

interface Member {
  learner: Learner;
  counter: Counter;
  values: Record<FilterName, string>;
}

/** A learner's value of each filter: the dimension the filter constrains (descriptors). */
const VALUE = Object.fromEntries(
  FILTER_NAMES.map((f) => [f, (l: Learner) => String(l.dims[FILTERS[f].column])]),
) as Record<FilterName, (l: Learner) => string>;

const members: Member[] = [];
function membersAtD(): Member[] {
  if (members.length > 0) return members;
  for (const e of fx.ds.learners) {
    if (!counted(e)) continue;
    const k = counterAt(e.learner.dates, e.learner.parcours, DAY);
    if (k === null) continue;
    const values = Object.fromEntries(FILTER_NAMES.map((f) => [f, VALUE[f](e.learner)])) as Member['values'];
    members.push({ learner: e.learner, counter: k.counter, values });
  }
  return members;
}

type Predicate = Partial<Record<FilterName, string>>;
const matches = (m: Member, p: Predicate) =>
  (Object.keys(p) as FilterName[]).every((f) => m.values[f] === p[f]);

function exactCounts(p: Predicate): Counts {
  const c: Counts = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 };
  for (const m of membersAtD()) {
    if (!matches(m, p)) continue;
    c[m.counter]++;
    if (m.counter !== 'abandons') c.apprenants++;
  }
  return c;
}

/** One request of the enumeration: a single indicator or a group-by, with its filters. */
interface Request {
  filters: Predicate;
  dimension?: GroupDimension;
}
const urlOf = (r: Request) => {
  const q = new URLSearchParams({ date: D, ...r.filters });
  return `/api/v1/indicateurs${r.dimension ? `/par/${r.dimension}` : ''}?${q.toString()}`;
};

/** A published cell: its population predicate and published values. */
interface Cell {
  predicate: Predicate;
  published: Published;
  exact: Counts;
}

/** Every request built from a target's own values: filters alone and in pairs; group-bys alone and with each filter. */
function requestsAround(m: Member): Request[] {
  const usable = FILTER_NAMES.filter((f) => m.values[f] !== '');
  const out: Request[] = [{ filters: {} }];
  usable.forEach((f, i) => {
    out.push({ filters: { [f]: m.values[f] } });
    for (const g of usable.slice(i + 1)) out.push({ filters: { [f]: m.values[f], [g]: m.values[g] } });
  });
  for (const dimension of GROUP_DIMENSION_NAMES) {
    out.push({ filters: {}, dimension });
    for (const f of usable) out.push({ filters: { [f]: m.values[f] }, dimension });
  }
  return out;
}

/** The cells of one public answer (rows with their group as one more filter, then the total). */
function cellsOf(r: Request, body: Record<string, unknown>): Cell[] {
  const pub = (o: Record<string, unknown>) =>
    ({
      ...Object.fromEntries(COUNT_FIELDS.map((f) => [f, o[f]])),
      masque: o.masque,
    }) as Published;
  if (!r.dimension) return [{ predicate: r.filters, published: pub(body), exact: exactCounts(r.filters) }];
  const f = GROUP_FILTERS[r.dimension];
  const lignes = body.lignes as Record<string, unknown>[];
  const cells = lignes.map((l) => {
    const predicate = { ...r.filters, [f]: (l.code as string | null) ?? '' };
    return { predicate, published: pub(l), exact: exactCounts(predicate) };
  });
  cells.push({
    predicate: r.filters,
    published: pub(body.total as Record<string, unknown>),
    exact: exactCounts(r.filters),
  });
  return cells;
}

/** The counts of a cell after swapping the counters of `a` and `b` (the alternative world). */
function swapped(c: Counts, inA: boolean, inB: boolean, ka: Counter, kb: Counter): Counts {
  const x = { ...c };
  if (inA === inB) return x;
  const [leaves, enters] = inA ? [ka, kb] : [kb, ka];
  x[leaves]--;
  x[enters]++;
  x.apprenants = x.apprentis + x.inscrits + x.rupturants;
  return x;
}

/** One learner moved from its counter to another, in the alternative world. */
type Move = { m: Member; to: Counter };

/** The index of every collected cell containing each member (computed once per member). */
const cellIndex = new Map<Member, number[]>();
function cellsContaining(cells: readonly Cell[], m: Member): number[] {
  let idx = cellIndex.get(m);
  if (!idx) {
    idx = [];
    cells.forEach((c, i) => matches(m, c.predicate) && idx!.push(i));
    cellIndex.set(m, idx);
  }
  return idx;
}

/**
 * Whether the public answers could come from the world where each move's learner has the move's
 * counter instead of its own (every membership unchanged): every published count is a possible
 * rounding of that world's count (withheld cells depend on population sizes only).
 */
function consistentMoves(cells: readonly Cell[], moves: readonly Move[]): boolean {
  const delta = new Map<number, Counts>();
  for (const { m, to } of moves) {
    for (const i of cellsContaining(cells, m)) {
      let d = delta.get(i);
      if (!d) delta.set(i, (d = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 }));
      d[m.counter]--;
      d[to]++;
    }
  }
  for (const [i, d] of delta) {
    const cell = cells[i]!;
    if (cell.published.masque.length === COUNT_FIELDS.length) continue;
    const n = populationOf(cell.exact);
    const x = { ...cell.exact };
    for (const f of COUNT_FIELDS) if (f !== 'apprenants') x[f] += d[f];
    x.apprenants = x.apprentis + x.inscrits + x.rupturants;
    for (const f of COUNT_FIELDS) if (!canPublish(cell.published[f] as number, x[f], n)) return false;
  }
  return true;
}

/** Whether the public answers could come from the world where `a` and `b` swap their statuses. */
const consistentSwap = (cells: readonly Cell[], a: Member, b: Member) =>
  consistentMoves(cells, [
    { m: a, to: b.counter },
    { m: b, to: a.counter },
  ]);

const similarity = (a: Member, b: Member) => FILTER_NAMES.filter((f) => a.values[f] === b.values[f]).length;
const mostSimilar = (to: Member, keep: (b: Member) => boolean, limit: number) =>
  membersAtD()
    .filter((b) => b !== to && keep(b))
    .sort((a, b) => similarity(to, b) - similarity(to, a))
    .slice(0, limit);

/**
 * An alternative world proving that `target`'s status is not narrowed to one value, or null:
 * first a swap with a learner of another status; else a cycle of four (the target and a colleague
 * b of another status swap, and elsewhere two learners like them swap the other way), which
 * leaves unchanged every count that does not cross the two organisations with the two profiles.
 */
function witnessWorld(cells: readonly Cell[], target: Member, limit = 60): Move[] | null {
  const others = mostSimilar(target, (b) => b.counter !== target.counter, limit);
  for (const b of others) {
    const moves = [
      { m: target, to: b.counter },
      { m: b, to: target.counter },
    ];
    if (consistentMoves(cells, moves)) return moves;
  }
  for (const b of others.slice(0, 12)) {
    const likeTarget = mostSimilar(target, (q) => q !== b && q.counter === b.counter, 12);
    const likeB = mostSimilar(b, (p) => p !== target && p.counter === target.counter, 12);
    for (const q of likeTarget)
      for (const p of likeB) {
        if (p === q) continue;
        const moves = [
          { m: target, to: b.counter },
          { m: b, to: target.counter },
          { m: q, to: target.counter },
          { m: p, to: b.counter },
        ];
        if (consistentMoves(cells, moves)) return moves;
      }
  }
  return null;
}

/** A learner of another status than `target` passing `consistent`, or null (single swaps only). */
function witness(target: Member, consistent: (b: Member) => boolean, limit = 400): Member | null {
  return mostSimilar(target, (b) => b.counter !== target.counter, limit).find(consistent) ?? null;
}

const memberOf = (id: string) => membersAtD().find((m) => String(m.learner.v3.id_erp_apprenant) === id)!;
const inOrg = (o: Organisme) => membersAtD().filter((m) => m.values.uai === o.uai);

async function publicJson(url: string) {
  const r = await fx.get(url);
  if (r.statusCode !== 200) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
  return r.json() as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------

describe("the issue's example: one woman in an organisation of 12", () => {
  it('the data holds the attack: exact counts (admin) show 12 learners, 11 men, and the woman is the rupturant', async () => {
    const admin = bearer(fx.token({ role: 'admin', scope: [] }));
    const all = (await fx.get(`/api/v1/indicateurs?date=${D}&uai=${X.uai}`, admin)).json();
    const men = (await fx.get(`/api/v1/indicateurs?date=${D}&uai=${X.uai}&sexe=M`, admin)).json();
    const women = (await fx.get(`/api/v1/indicateurs?date=${D}&uai=${X.uai}&sexe=F`, admin)).json();
    expect([all.apprenants, men.apprenants, women.apprenants]).toEqual([12, 11, 1]);
    expect(women).toMatchObject({ apprentis: 0, inscrits: 0, rupturants: 1 });
    // Under the previous rules, the public got exactly what the issue describes: the woman's
    // answer showed apprentis 0 and inscrits 0, so the hidden count was her rupture.
    const before = protectIndicator(women);
    expect(before).toMatchObject({ apprentis: 0, inscrits: 0, rupturants: null, abandons: 0 });
  });

  it.each(['sexe=F', 'sexe=M', 'tranche_age=18-20', 'rqth=0'])(
    'uai=X&%s is refused to the public: 403 CROISEMENT_NON_PUBLIC naming the field, in French',
    async (demographic) => {
      const r = await fx.get(`/api/v1/indicateurs?date=${D}&uai=${X.uai}&${demographic}`);
      expect(r.statusCode).toBe(403);
      expect(r.json()).toMatchObject({ code: 'CROISEMENT_NON_PUBLIC', champ: demographic.split('=')[0] });
      expect(r.json().message).toMatch(/croisement non diffusé au public/);
    },
  );

  it('the same crossings through a group-by or a formation are refused; the CFA itself gets its exact figures', async () => {
    for (const url of [
      `/api/v1/indicateurs/par/organisme?date=${D}&departement=${DEP}&sexe=F`,
      `/api/v1/indicateurs/par/formation?date=${D}&sexe=F`,
      `/api/v1/indicateurs/series?from=2025-01-01&to=${D}&siret=${X.siret}&sexe=F`,
    ]) {
      const r = await fx.get(url);
      expect(r.statusCode).toBe(403);
      expect(r.json().champ).toBe('sexe');
    }
    const cfa = bearer(fx.token({ role: 'cfa', scope: [X.uai] }));
    const own = (await fx.get(`/api/v1/indicateurs?date=${D}&uai=${X.uai}&sexe=F`, cfa)).json();
    expect(own).toMatchObject({ apprenants: 1, rupturants: 1, masque: [] });
  });

  it('the public figures of X are rounded to 5 and consistent with Marie being an apprentie', async () => {
    const body = await publicJson(`/api/v1/indicateurs?date=${D}&uai=${X.uai}`);
    expect(body.masque).toEqual([]);
    for (const f of COUNT_FIELDS) expect((body[f] as number) % 5).toBe(0);
    const marie = memberOf('X-MARIE');
    const cell: Cell = {
      predicate: { uai: X.uai },
      published: body as unknown as Published,
      exact: exactCounts({ uai: X.uai }),
    };
    const colleague = inOrg(X).find((m) => m.counter === 'apprentis')!;
    // Swapping her status with a colleague's leaves X's counts as they are.
    expect(consistentSwap([cell], marie, colleague)).toBe(true);
  });
});

describe('differencing attacks, each replayed', () => {
  it('complements: no public answer has a parent (one filter removed) whose complement counts 1 to 10 learners', async () => {
    const marie = memberOf('X-MARIE');
    const requests = requestsAround(marie).filter((r) => !r.dimension && Object.keys(r.filters).length > 0);
    let checked = 0;
    for (const r of requests) {
      const a = await fx.get(urlOf(r));
      if (a.statusCode === 403) continue;
      const body = a.json();
      if (body.masque.length === COUNT_FIELDS.length) continue;
      const n = populationOf(exactCounts(r.filters));
      for (const f of Object.keys(r.filters) as FilterName[]) {
        const parent = { ...r.filters };
        delete parent[f];
        const complement = populationOf(exactCounts(parent)) - n;
        expect(complement === 0 || complement >= SEUIL_POPULATION).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('sums of parts: Z (8 learners) is withheld in its département table and not recoverable from the total', async () => {
    const table = await publicJson(`/api/v1/indicateurs/par/organisme?date=${D}&departement=${DEP}`);
    const total = await publicJson(`/api/v1/indicateurs?date=${D}&departement=${DEP}`);
    const lignes = table.lignes as (Published & { code: string })[];
    const z = lignes.find((l) => l.code === Z.uai)!;
    expect(z.masque).toEqual([...COUNT_FIELDS]);
    // The single indicator and the table's total are the same cell.
    expect(table.total).toEqual(Object.fromEntries([...COUNT_FIELDS, 'masque'].map((f) => [f, total[f]])));
    // What the other rows and the total leave for the withheld rows, per counter: an interval that
    // always holds Z's value and at least one other value.
    const exactZ = exactCounts({ uai: Z.uai });
    const withheldOthers = lignes.filter((l) => l.code !== Z.uai && l.masque.length > 0);
    for (const f of COUNT_FIELDS) {
      const shown = lignes.filter((l) => l.masque.length === 0);
      const t = preimage(total[f] as number);
      const lo = t.min - shown.reduce((s, l) => s + preimage(l[f] as number).max, 0);
      const hi = t.max - shown.reduce((s, l) => s + preimage(l[f] as number).min, 0);
      const restMax = withheldOthers.reduce((s, l) => s + populationOf(exactCounts({ uai: l.code })), 0);
      const zMin = Math.max(0, lo - restMax);
      const zMax = Math.min(populationOf(exactZ), hi);
      expect(exactZ[f]).toBeGreaterThanOrEqual(zMin);
      expect(exactZ[f]).toBeLessThanOrEqual(zMax);
      expect(zMax - zMin).toBeGreaterThanOrEqual(1);
    }
  });

  it("series differences: X's daily series is monthly and does not date Marie's rupture (2025-02-10)", async () => {
    const admin = bearer(fx.token({ role: 'admin', scope: [] }));
    const url = `/api/v1/indicateurs/series?from=2025-01-15&to=2025-03-15&pas=jour&uai=${X.uai}`;
    const exact = (await fx.get(url, admin)).json();
    const change = exact.points.find((p: Counts) => p.rupturants === 1);
    expect(change.date).toBe('2025-02-10'); // the admin's daily series dates it
    const pub = await publicJson(url);
    const points = pub.points as ({ date: string } & Published)[];
    expect(points.map((p) => p.date)).toEqual(['2025-01-01', '2025-02-01', '2025-03-01']);
    // Every day of February answers the cell of 2025-02-01, before and after her rupture alike.
    const feb1 = points[1]!;
    for (const day of ['2025-02-09', '2025-02-10', '2025-02-28']) {
      const single = await publicJson(`/api/v1/indicateurs?date=${day}&uai=${X.uai}`);
      expect(single).toEqual({ ...feb1, date: '2025-02-01' });
    }
  });

  it('table vs single query: every row is the single indicator of the same filter combination', async () => {
    for (const [dimension, filters] of [
      ['organisme', { departement: DEP }],
      ['niveau', { departement: DEP }],
      ['formation', { uai: X.uai }],
      ['departement', { region: fx.platform.ctx.territoires.ofDepartement(DEP)!.region }],
    ] as [GroupDimension, Predicate][]) {
      const table = await publicJson(urlOf({ filters, dimension }));
      const lignes = (table.lignes as (Published & { code: string | null })[]).filter((l) => l.code !== null);
      expect(lignes.length).toBeGreaterThan(0);
      for (const l of lignes.slice(0, 25)) {
        const single = await publicJson(
          urlOf({ filters: { ...filters, [GROUP_FILTERS[dimension]]: l.code! } }),
        );
        expect(Object.fromEntries([...COUNT_FIELDS, 'masque'].map((f) => [f, single[f]]))).toEqual(
          Object.fromEntries([...COUNT_FIELDS, 'masque'].map((f) => [f, (l as Record<string, unknown>)[f]])),
        );
      }
    }
  });

  it('all in one status: Y (13 learners, all under contract) does not prove that any of them is an apprenti', async () => {
    const body = await publicJson(`/api/v1/indicateurs?date=${D}&uai=${Y.uai}`);
    const exact = exactCounts({ uai: Y.uai });
    expect(exact).toMatchObject({ apprenants: 13, apprentis: 13 });
    expect(body.masque).toEqual([]);
    // A world where one of them is an inscrit (or a rupturant, or an abandon) gives the same answer.
    for (const other of ['inscrits', 'rupturants', 'abandons'] as Counter[]) {
      const x = swapped(exact, true, false, 'apprentis', other);
      for (const f of COUNT_FIELDS) expect(canPublish(body[f] as number, x[f], 13)).toBe(true);
    }
  });

  it('zeros: a published 0 is never a proven zero (Y shows 0 inscrits, as it would with 1)', async () => {
    const body = await publicJson(`/api/v1/indicateurs?date=${D}&uai=${Y.uai}`);
    expect(body.inscrits).toBe(0);
    expect(canPublish(0, 1, 13)).toBe(true);
  });
});

describe('systematic: no learner of a small organisation has their status narrowed to one value', () => {
  const cells: Cell[] = [];
  let targets: Member[] = [];
  let refused = 0;
  let requests = 0;

  beforeAll(async () => {
    // Targets: the learners of X, Y, Z and of the two smallest generated organisations of 11+ learners.
    const sizes = new Map<string, number>();
    for (const m of membersAtD()) sizes.set(m.values.uai, (sizes.get(m.values.uai) ?? 0) + 1);
    const small = [...sizes.entries()]
      .filter(([uai, n]) => n >= SEUIL_POPULATION && ![X.uai, Y.uai, Z.uai].includes(uai))
      .sort((a, b) => a[1] - b[1])
      .slice(0, 2)
      .map(([uai]) => uai);
    targets = membersAtD().filter((m) => [X.uai, Y.uai, Z.uai, ...small].includes(m.values.uai));
    const seen = new Map<string, Request>();
    for (const t of targets) for (const r of requestsAround(t)) seen.set(urlOf(r), r);
    for (const [url, r] of seen) {
      const a = await fx.get(url);
      requests++;
      if (a.statusCode === 403) {
        refused++;
        continue;
      }
      if (a.statusCode !== 200) throw new Error(`${url}: ${a.statusCode} ${a.body}`);
      cells.push(...cellsOf(r, a.json()));
    }
  }, 600_000);

  it('every published cell is a possible rounding of its exact counts (the attacker model is the API)', () => {
    const off = cells.filter(
      (c) =>
        c.published.masque.length === 0 &&
        COUNT_FIELDS.some((f) => !canPublish(c.published[f] as number, c.exact[f], populationOf(c.exact))),
    );
    expect(off.slice(0, 5).map((c) => ({ p: c.predicate, pub: c.published, exact: c.exact }))).toEqual([]);
  });

  it('enumerates thousands of public cells, and refuses the demographic crossings', () => {
    expect(targets.length).toBeGreaterThan(40);
    expect(requests).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(50);
    expect(cells.length).toBeGreaterThan(5000);
  });

  const narrowedAmong = (keep: (t: Member) => boolean) =>
    targets
      .filter((t) => keep(t) && witnessWorld(cells, t) === null)
      .map((t) => `${String(t.learner.v3.id_erp_apprenant)} (${t.values.uai}, ${t.counter})`);

  it('every learner of X, Y and Z has an alternative world (a swap, or a cycle of four) that every collected public answer allows', () => {
    expect(narrowedAmong((t) => [X.uai, Y.uai, Z.uai].includes(t.values.uai))).toEqual([]);
  });

  // KNOWN GAP (reported with this change): for some learners of the two small generated
  // organisations, neither a swap nor a cycle of four is consistent with every answer: some
  // published counts sit at the edge of their rounding interval. Either a wider search (an exact
  // integer programme over every learner) finds another world, or bounded rounding does narrow
  // them (docs/statistical-disclosure-control.md, "Limits"). test.failing keeps the finding
  // visible: the day the search or the rules cover them, this test fails and must become a plain it().
  it.failing('every learner of the small generated organisations has such an alternative world', () => {
    expect(narrowedAmong((t) => ![X.uai, Y.uai, Z.uai].includes(t.values.uai))).toEqual([]);
  });

  it("the same attacker on the previous rules' answers narrows Marie's status (the test can fail)", () => {
    // The previous rules answered every request (the crossings too) with protectIndicator or
    // protectTable on the exact counts: deterministic, so an alternative world is possible only if
    // it gives exactly the same answers.
    const marie = memberOf('X-MARIE');
    // Most specific first: a swap that an answer tells apart usually fails on the first ones.
    const all = requestsAround(marie).sort(
      (a, b) =>
        Number(!!a.dimension) - Number(!!b.dimension) ||
        Object.keys(b.filters).length - Object.keys(a.filters).length,
    );
    // Each request's exact cells (rows then total), computed once; a swap changes a few of them.
    const base = all.map((r) => {
      if (!r.dimension) return [{ p: r.filters, c: exactCounts(r.filters) }];
      const f = GROUP_FILTERS[r.dimension];
      const codes = [
        ...new Set(
          membersAtD()
            .filter((m) => matches(m, r.filters))
            .map((m) => m.values[f]),
        ),
      ].sort();
      return [
        ...codes.map((code) => ({
          p: { ...r.filters, [f]: code },
          c: exactCounts({ ...r.filters, [f]: code }),
        })),
        { p: r.filters, c: exactCounts(r.filters) },
      ];
    });
    const answer = (i: number, swap: [Member, Member] | null): string => {
      const cs = base[i]!.map(({ p, c }) =>
        swap ? swapped(c, matches(swap[0], p), matches(swap[1], p), swap[0].counter, swap[1].counter) : c,
      );
      if (!all[i]!.dimension) return JSON.stringify(protectIndicator(cs[0]!));
      const rows = cs.slice(0, -1);
      return JSON.stringify(protectTable(rows, totalOf(rows)));
    };
    const before = all.map((_r, i) => answer(i, null));
    const sameAnswers = (b: Member) =>
      all.every((r, i) => {
        const touches = [marie, b].some((m) => matches(m, r.filters)); // otherwise nothing changes
        return !touches || answer(i, [marie, b]) === before[i];
      });
    expect(witness(marie, sameAnswers, 2000)).toBeNull();
    // The new rules' answers, on the same requests, leave her status open.
    expect(witnessWorld(cells, marie)).not.toBeNull();
  });
});
