/**
 * Statistical secrecy of public figures (issue 6 §3; rules in api/README.md, "Secret statistique").
 * Pure: counts in, published values out.
 *
 * Primary suppression: a count from 1 to 4 is not disclosed (null, and its name in `masque`).
 * Secondary suppression: no hidden count may be recoverable from the other figures of the same
 * response through the relations that hold between them:
 *
 * - in one row, apprenants = apprentis + inscrits + rupturants (abandons is not part of it);
 * - in a table with a total row, every column of the total is the sum of the rows' column.
 *
 * For a table, the cells of the apprenants relation form a two-way table with margins (rows ×
 * {apprentis, inscrits, rupturants}, margin column apprenants, margin row the total). Writing the
 * margins with a minus sign, every row and column sums to zero, so the published cells fix a hidden
 * cell exactly when that cell's edge is a bridge of the bipartite graph (row nodes, column nodes,
 * one edge per hidden cell): the values of the hidden cells are determined up to the cycles of that
 * graph. Secondary suppression therefore hides more cells until no hidden cell is a bridge: each
 * bridge (r, c) is put on a cycle by hiding the cheapest rectangle (r, c'), (r', c), (r', c')
 * (fewest zero cells, then group rows before the total row, then the smallest counts). The
 * abandons column has one relation (the total), so it needs 0 or at least 2 hidden cells.
 */

/** The published counters of one indicator row. */
export const COUNT_FIELDS = ['apprenants', 'apprentis', 'inscrits', 'rupturants', 'abandons'] as const;
export type CountField = (typeof COUNT_FIELDS)[number];
export type Counts = Record<CountField, number>;

/** A row as published: hidden counts are null and named in `masque`. */
export type Published = Record<CountField, number | null> & { masque: CountField[] };

/** Smallest and largest count that are never disclosed (bounds included). */
export const SECRET_MIN = 1;
export const SECRET_MAX = 4;

export const isSecret = (n: number) => n >= SECRET_MIN && n <= SECRET_MAX;

/** The components of apprenants (status-rules.md, "Counting"). */
const PARTS = ['apprentis', 'inscrits', 'rupturants'] as const;
/** Columns of the two-way table: the three components, then the margin apprenants. */
const TABLE_COLUMNS = [...PARTS, 'apprenants'] as const;

function publish(c: Counts, hidden: Set<CountField>): Published {
  const out = { masque: COUNT_FIELDS.filter((f) => hidden.has(f)) } as Published;
  for (const f of COUNT_FIELDS) out[f] = hidden.has(f) ? null : c[f];
  return out;
}

/** Picks the cell to hide among candidates: non-zero before zero, then the smallest, then the first. */
function pickSmallest<T>(candidates: T[], value: (t: T) => number): T | undefined {
  let best: T | undefined;
  let bestKey = Infinity;
  for (const c of candidates) {
    const v = value(c);
    const key = v === 0 ? Number.MAX_SAFE_INTEGER : v;
    if (key < bestKey) {
      best = c;
      bestKey = key;
    }
  }
  return best;
}

/** One indicator (a single row, no total): primary suppression, then the apprenants relation. */
export function protectIndicator(c: Counts): Published {
  const hidden = new Set<CountField>(COUNT_FIELDS.filter((f) => isSecret(c[f])));
  const relation: CountField[] = [...TABLE_COLUMNS];
  if (relation.filter((f) => hidden.has(f)).length === 1) {
    const pick = pickSmallest(
      relation.filter((f) => !hidden.has(f)),
      (f) => c[f],
    );
    if (pick) hidden.add(pick);
  }
  return publish(c, hidden);
}

/** Rows that each follow protectIndicator (a series: counts at successive dates, no sum relation). */
export function protectRows(rows: readonly Counts[]): Published[] {
  return rows.map(protectIndicator);
}

const lexLess = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
};

/** Bridges of an undirected multigraph (edges as [u, v]); returns the indexes of the bridge edges. */
export function bridges(nodeCount: number, edges: readonly (readonly [number, number])[]): Set<number> {
  const adj: { to: number; id: number }[][] = Array.from({ length: nodeCount }, () => []);
  edges.forEach(([u, v], id) => {
    adj[u]!.push({ to: v, id });
    adj[v]!.push({ to: u, id });
  });
  const disc = new Array<number>(nodeCount).fill(-1);
  const low = new Array<number>(nodeCount).fill(0);
  const out = new Set<number>();
  let time = 0;
  // Iterative DFS (tables can have thousands of rows): stack of [node, parent edge id, next neighbour index].
  for (let root = 0; root < nodeCount; root++) {
    if (disc[root] !== -1) continue;
    const stack: [number, number, number][] = [[root, -1, 0]];
    disc[root] = low[root] = time++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [u, parentEdge, i] = top;
      if (i < adj[u]!.length) {
        top[2]++;
        const { to, id } = adj[u]![i]!;
        if (id === parentEdge) continue;
        if (disc[to] === -1) {
          disc[to] = low[to] = time++;
          stack.push([to, id, 0]);
        } else {
          low[u] = Math.min(low[u]!, disc[to]!);
        }
      } else {
        stack.pop();
        if (stack.length > 0) {
          const p = stack[stack.length - 1]![0];
          low[p] = Math.min(low[p]!, low[u]!);
          if (low[u]! > disc[p]!) out.add(parentEdge);
        }
      }
    }
  }
  return out;
}

/**
 * A table of groups and its total row (the total must be the column sums of the rows).
 * Returns the published rows and total, with primary and secondary suppression.
 */
export function protectTable(
  rows: readonly Counts[],
  total: Counts,
): { rows: Published[]; total: Published } {
  const all = [...rows, total];
  const T = all.length - 1; // index of the total row
  const hidden = all.map((r) => new Set<CountField>(COUNT_FIELDS.filter((f) => isSecret(r[f]))));

  type Cell = { r: number; f: (typeof TABLE_COLUMNS)[number] };
  const valueOf = (x: Cell) => all[x.r]![x.f];

  // Cheap local passes first (they remove most bridges: a row or a column with a single hidden
  // cell is a pendant edge): a row with one hidden cell of the relation hides its smallest other
  // cell; a column with one hidden cell hides its smallest other group cell. Repeat until stable.
  for (let changed = true; changed;) {
    changed = false;
    for (let r = 0; r <= T; r++) {
      if (TABLE_COLUMNS.filter((f) => hidden[r]!.has(f)).length !== 1) continue;
      const pick = pickSmallest(
        TABLE_COLUMNS.filter((f) => !hidden[r]!.has(f)),
        (f) => all[r]![f],
      );
      if (pick) {
        hidden[r]!.add(pick);
        changed = true;
      }
    }
    for (const f of TABLE_COLUMNS) {
      const visible: number[] = [];
      let count = 0;
      for (let r = 0; r <= T; r++) {
        if (hidden[r]!.has(f)) count++;
        else visible.push(r);
      }
      if (count !== 1) continue;
      const groups = visible.filter((r) => r !== T);
      const pick = pickSmallest(groups.length > 0 ? groups : visible, (r) => all[r]![f]);
      if (pick !== undefined) {
        hidden[pick]!.add(f);
        changed = true;
      }
    }
  }

  // Then the exact criterion. Two-way table: row nodes 0..T, column nodes T+1..T+4.
  const colNode = (f: Cell['f']) => T + 1 + TABLE_COLUMNS.indexOf(f);
  for (;;) {
    const cells: Cell[] = [];
    const edges: [number, number][] = [];
    for (let r = 0; r <= T; r++) {
      for (const f of TABLE_COLUMNS) {
        if (hidden[r]!.has(f)) {
          cells.push({ r, f });
          edges.push([r, colNode(f)]);
        }
      }
    }
    const b = bridges(T + 1 + TABLE_COLUMNS.length, edges);
    if (b.size === 0) break;
    // Put each bridge (r, c) on a cycle by hiding the cheapest rectangle (r, c'), (r', c), (r', c'):
    // fewest zero cells, then not the total row, then the smallest sum. Bridges of a row already
    // changed in this round wait for the next one (that change may have closed them).
    const touched = new Set<number>();
    for (const id of [...b].sort((x, y) => x - y)) {
      const { r, f: c } = cells[id]!;
      if (touched.has(r)) continue;
      let best: Cell[] | undefined;
      let bestCost: number[] = [];
      for (let r2 = 0; r2 <= T; r2++) {
        if (r2 === r) continue;
        for (const c2 of TABLE_COLUMNS) {
          if (c2 === c) continue;
          const added = [
            { r, f: c2 },
            { r: r2, f: c },
            { r: r2, f: c2 },
          ].filter((x) => !hidden[x.r]!.has(x.f));
          const values = added.map(valueOf);
          const cost = [
            values.filter((v) => v === 0).length,
            added.filter((x) => x.r === T).length,
            values.reduce((a, v) => a + v, 0),
          ];
          if (best === undefined || lexLess(cost, bestCost)) {
            best = added;
            bestCost = cost;
          }
        }
      }
      if (!best || best.length === 0) continue; // unreachable: a bridge lies on no hidden rectangle
      for (const x of best) {
        hidden[x.r]!.add(x.f);
        touched.add(x.r);
      }
    }
  }

  // Abandons: one relation (the total); a single hidden cell is recoverable.
  const hiddenAbandons = hidden.filter((h) => h.has('abandons')).length;
  if (hiddenAbandons === 1) {
    const candidates: number[] = [];
    for (let r = 0; r <= T; r++) if (!hidden[r]!.has('abandons')) candidates.push(r);
    const groups = candidates.filter((r) => r !== T);
    const pick = pickSmallest(groups.length > 0 ? groups : candidates, (r) => all[r]!.abandons);
    if (pick !== undefined) hidden[pick]!.add('abandons');
  }

  const published = all.map((r, i) => publish(r, hidden[i]!));
  return { rows: published.slice(0, T), total: published[T]! };
}

/** Column sums of rows (the total row of a table). */
export function totalOf(rows: readonly Counts[]): Counts {
  const t: Counts = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 };
  for (const r of rows) for (const f of COUNT_FIELDS) t[f] += r[f];
  return t;
}

/** Published without suppression (roles entitled to the exact figures). */
export function unprotected(c: Counts): Published {
  return publish(c, new Set());
}
