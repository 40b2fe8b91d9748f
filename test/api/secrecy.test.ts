/**
 * Statistical secrecy (api/secrecy): counts from 1 to 4 are hidden, and no hidden count can be
 * recovered exactly from the other figures of the same response. The recovery check is
 * independent of the module's graph reasoning: plain linear algebra (a hidden cell is recoverable
 * exactly when its unit vector lies in the row space of the relations restricted to hidden cells).
 */
import fc from 'fast-check';
import {
  COUNT_FIELDS,
  bridges,
  protectIndicator,
  protectTable,
  totalOf,
  type CountField,
  type Counts,
  type Published,
} from '../../api/secrecy';

const counts = (apprentis: number, inscrits: number, rupturants: number, abandons: number): Counts => ({
  apprentis,
  inscrits,
  rupturants,
  abandons,
  apprenants: apprentis + inscrits + rupturants,
});

/** Rank of a matrix (rows of numbers), Gaussian elimination with partial pivoting. */
function rank(m: number[][]): number {
  const a = m.map((r) => [...r]);
  const cols = a[0]?.length ?? 0;
  let rk = 0;
  for (let c = 0; c < cols && rk < a.length; c++) {
    let piv = rk;
    for (let r = rk + 1; r < a.length; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    if (Math.abs(a[piv]![c]!) < 1e-9) continue;
    [a[rk], a[piv]] = [a[piv]!, a[rk]!];
    for (let r = 0; r < a.length; r++) {
      if (r === rk) continue;
      const f = a[r]![c]! / a[rk]![c]!;
      if (f !== 0) for (let k = c; k < cols; k++) a[r]![k]! -= f * a[rk]![k]!;
    }
    rk++;
  }
  return rk;
}

/**
 * The hidden cells whose value follows exactly from the published ones, given the relations:
 * every row: apprenants = apprentis + inscrits + rupturants; with a total: each column's total is
 * the sum of the rows.
 */
function recoverable(rows: Published[], total: Published | null): { row: number; field: CountField }[] {
  const all = total ? [...rows, total] : rows;
  const vars: { row: number; field: CountField }[] = [];
  const index = new Map<string, number>();
  all.forEach((r, i) =>
    COUNT_FIELDS.forEach((f) => {
      if (r[f] === null) {
        index.set(`${i}|${f}`, vars.length);
        vars.push({ row: i, field: f });
      }
    }),
  );
  if (vars.length === 0) return [];
  const equations: Map<number, number>[] = [];
  const eq = (terms: [number, CountField, number][]) => {
    const e = new Map<number, number>();
    for (const [row, f, coef] of terms) {
      const v = index.get(`${row}|${f}`);
      if (v !== undefined) e.set(v, (e.get(v) ?? 0) + coef);
    }
    equations.push(e);
  };
  all.forEach((_, i) =>
    eq([
      [i, 'apprenants', -1],
      [i, 'apprentis', 1],
      [i, 'inscrits', 1],
      [i, 'rupturants', 1],
    ]),
  );
  if (total) {
    const t = all.length - 1;
    for (const f of COUNT_FIELDS)
      eq([...rows.map((_, i) => [i, f, 1] as [number, CountField, number]), [t, f, -1]]);
  }
  const matrix = equations.map((e) => vars.map((_, j) => e.get(j) ?? 0));
  const base = rank(matrix);
  return vars.filter((_, j) => rank([...matrix, vars.map((__, k) => (k === j ? 1 : 0))]) === base);
}

function checkPrimary(c: Counts, p: Published) {
  for (const f of COUNT_FIELDS) {
    if (c[f] >= 1 && c[f] <= 4) expect(p[f]).toBeNull();
    if (p[f] !== null) expect(p[f]).toBe(c[f]);
    expect(p.masque.includes(f)).toBe(p[f] === null);
  }
}

describe('protectIndicator', () => {
  it('hides counts from 1 to 4 and keeps 0 and 5+', () => {
    const p = protectIndicator({ apprenants: 105, apprentis: 100, inscrits: 0, rupturants: 5, abandons: 4 });
    expect(p).toEqual({
      apprenants: 105,
      apprentis: 100,
      inscrits: 0,
      rupturants: 5,
      abandons: null,
      masque: ['abandons'],
    });
  });

  it('hides a second component when exactly one component of apprenants is hidden (no subtraction)', () => {
    // apprentis 100, inscrits 3, rupturants 7 → apprenants 110: inscrits = 110 - 100 - 7 unless another is hidden.
    const p = protectIndicator(counts(100, 3, 7, 20));
    expect(p.inscrits).toBeNull();
    expect(p.rupturants).toBeNull(); // the smallest other non-zero count
    expect(p.apprentis).toBe(100);
    expect(p.apprenants).toBe(110);
    expect(recoverable([p], null)).toEqual([]);
  });

  it('an apprenants total of 1 to 4 is hidden with its components', () => {
    const p = protectIndicator(counts(2, 0, 0, 0));
    expect(p.apprenants).toBeNull();
    expect(p.apprentis).toBeNull();
    expect(recoverable([p], null)).toEqual([]);
  });

  it('property: primary cells hidden, nothing recoverable, visible values exact', () => {
    fc.assert(
      fc.property(fc.nat(12), fc.nat(12), fc.nat(12), fc.nat(12), (a, i, r, ab) => {
        const c = counts(a, i, r, ab);
        const p = protectIndicator(c);
        checkPrimary(c, p);
        expect(recoverable([p], null)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('protectTable', () => {
  it('hides the next smallest cell of a column when one group is hidden (no subtraction from the total)', () => {
    const rows = [counts(100, 20, 10, 8), counts(50, 2, 30, 9), counts(70, 40, 25, 30)];
    const { rows: pub, total } = protectTable(rows, totalOf(rows));
    expect(pub[1]!.inscrits).toBeNull();
    expect(total.inscrits).toBe(62);
    // Another inscrits cell of the column is hidden (the smallest: group 0's 20), and in each of the
    // two rows another component, so that neither the row nor the column gives the value back.
    expect(pub[0]!.inscrits).toBeNull();
    expect(recoverable(pub, total)).toEqual([]);
    rows.forEach((r, i) => checkPrimary(r, pub[i]!));
  });

  it('a single group row equal to its total: hides a rectangle, not everything', () => {
    const rows = [counts(100, 3, 40, 12)];
    const { rows: pub, total } = protectTable(rows, totalOf(rows));
    expect(recoverable(pub, total)).toEqual([]);
    expect(pub[0]!.masque.length).toBeLessThanOrEqual(2);
    expect(total.masque.length).toBeLessThanOrEqual(2);
  });

  it('finds the bridge of two cycles joined by one edge (every node has two hidden cells)', () => {
    // Edges: a 4-cycle on rows 0-1 × columns 0-1, another on rows 2-3 × columns 2-3, and the edge (0, 2).
    const b = bridges(8, [
      [0, 4],
      [0, 5],
      [1, 4],
      [1, 5],
      [2, 6],
      [2, 7],
      [3, 6],
      [3, 7],
      [0, 6],
    ]);
    expect([...b]).toEqual([8]);
  });

  it('property: on random tables, every 1–4 hidden, nothing recoverable by the row and column relations', () => {
    const row = fc
      .tuple(fc.nat(15), fc.nat(15), fc.nat(15), fc.nat(15))
      .map(([a, i, r, ab]) => counts(a, i, r, ab));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 7 }), (rows) => {
        const total = totalOf(rows);
        const { rows: pub, total: pubTotal } = protectTable(rows, total);
        rows.forEach((r, i) => checkPrimary(r, pub[i]!));
        checkPrimary(total, pubTotal);
        expect(recoverable(pub, pubTotal)).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('scales to a group-by of 6,000 organisations with many small counts', () => {
    let seed = 3;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    const rows = Array.from({ length: 6000 }, () => counts(rnd(30), rnd(6), rnd(4), rnd(5)));
    const t0 = Date.now();
    const { rows: pub, total } = protectTable(rows, totalOf(rows));
    const ms = Date.now() - t0;
    rows.forEach((r, i) => checkPrimary(r, pub[i]!));
    // The module's own criterion (no hidden cell is a bridge) is checked by recomputing bridges here.
    const edges: [number, number][] = [];
    const cols = ['apprentis', 'inscrits', 'rupturants', 'apprenants'] as const;
    [...pub, total].forEach((p, r) => cols.forEach((f, j) => p[f] === null && edges.push([r, 6001 + j])));
    expect(bridges(6005, edges).size).toBe(0);
    expect(ms).toBeLessThan(30_000); // a guard against a quadratic blow-up, not a speed target
  });
});
