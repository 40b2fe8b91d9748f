/**
 * The dimensions every fact carries, derived from the descriptors of streams/facts/descriptors.ts
 * (the only list of them): the Dimensions type, their names in column order, and the per-row code
 * of the processor's hot path, compiled once from the descriptor list.
 *
 * Rows are built as object literals of one fixed shape and compared property by property in
 * straight-line code, as hand-written code would: hundreds of thousands of rows are made per
 * second by the stream processor, and a generic loop over the names (or an object spread) is
 * several times slower to run and makes rows that are slower to serialise. `new Function` over our
 * own column names (checked against /^[a-z_]+$/, never input) writes that code.
 */
import type { FrApprentissageTdb } from '../../schemas/generated/DossierApprenant';
import { derivationOf, DIMENSIONS, type Derivation, type DimensionRefs } from './descriptors';

export {
  DIMENSIONS,
  TRANCHES_AGE,
  domaineOfCfd,
  niveauOfCfd,
  trancheAge,
  type DimensionDescriptor,
  type DimensionRefs,
  type FilterSpec,
  type LabelSource,
  type Refusal,
  type TrancheAge,
} from './descriptors';

type DossierApprenant = FrApprentissageTdb.DossierApprenant;
type Descriptor = (typeof DIMENSIONS)[number];

/** The dimension values of one record: one property per descriptor, its value type from `derive`. */
export type Dimensions = { -readonly [D in Descriptor as D['name']]: ReturnType<D['derive']> };
export type DimensionName = keyof Dimensions;

/** Every dimension's name (= column), in the column order of the fact tables. */
export const DIMENSION_KEYS: readonly DimensionName[] = DIMENSIONS.map((d) => d.name);

for (const k of DIMENSION_KEYS) if (!/^[a-z_]+$/.test(k)) throw new Error(`bad dimension name ${k}`);

/** Dimensions of nothing (rows that only mark a slot or a batch; never counted: fiable = 0). */
export const NO_DIMENSIONS: Readonly<Dimensions> = Object.freeze(
  Object.fromEntries(DIMENSIONS.map((d) => [d.name, d.default])) as Dimensions,
);

/** `{ name0: <expr of 0>, name1: <expr of 1>, … }` over every dimension. */
const literal = (expr: (i: number) => string) =>
  `{ ${DIMENSION_KEYS.map((k, i) => `${k}: ${expr(i)}`).join(', ')} }`;

/**
 * The dimensions of a normalised record image, from the referentials (the organisation, its
 * département and territory looked up once, then each descriptor's `derive`).
 */
export const dimensionsOf: (d: DossierApprenant, refs: DimensionRefs) => Dimensions = (() => {
  const derives = DIMENSIONS.map((x) => x.derive);
  const make = new Function(
    'derivationOf',
    ...derives.map((_, i) => `f${i}`),
    `return function dimensionsOf(d, refs) { const c = derivationOf(d, refs); return ${literal((i) => `f${i}(d, c)`)}; };`,
  ) as (
    o: typeof derivationOf,
    ...f: typeof derives
  ) => (d: DossierApprenant, refs: DimensionRefs) => Dimensions;
  return make(derivationOf, ...derives);
})();

export type { Derivation };

/** Whether two records have the same value on every dimension. */
export const sameDimensions = new Function(
  'a',
  'b',
  `return ${DIMENSION_KEYS.map((k) => `a.${k} === b.${k}`).join(' && ')};`,
) as (a: Dimensions, b: Dimensions) => boolean;

/** The values in DIMENSION_KEYS order (the learner state's positional encoding). */
export const dimensionValues = new Function(
  'd',
  `return [${DIMENSION_KEYS.map((k) => `d.${k}`).join(', ')}];`,
) as (d: Dimensions) => unknown[];

/**
 * The reader of values stored positionally under the names `names` (a format of the learner
 * state): each dimension takes its value from its position in `names`, and its descriptor's
 * default when it is not among them or the array is shorter.
 */
export function dimensionsReader(names: readonly string[]): (values: readonly unknown[]) => Dimensions {
  const at = DIMENSION_KEYS.map((k) => names.indexOf(k));
  const read = new Function(
    'v',
    'D',
    `return ${literal((i) => (at[i]! < 0 ? `D[${i}]` : `v[${at[i]}] === undefined ? D[${i}] : v[${at[i]}]`))};`,
  ) as (v: readonly unknown[], defaults: readonly unknown[]) => Dimensions;
  const defaults = DIMENSIONS.map((d) => d.default);
  return (values) => read(values, defaults);
}

/**
 * A row builder: `(d, ...values)` → `{ leading…, <every dimension of d>, trailing… }`, the values
 * given in the order of `leading` then `trailing`. The literal's key order is the row's shape
 * (one hidden class for every row of a table).
 */
export function rowBuilder<Args extends unknown[], Row>(
  leading: readonly string[],
  trailing: readonly string[],
): (d: Dimensions, ...values: Args) => Row {
  const names = [...leading, ...trailing];
  for (const n of names) if (!/^[a-z_]+$/.test(n)) throw new Error(`bad column name ${n}`);
  const keys = [...leading.map((n) => `${n}: ${n}`), ...DIMENSION_KEYS.map((k) => `${k}: d.${k}`)];
  for (const n of trailing) keys.push(`${n}: ${n}`);
  return new Function('d', ...names, `return { ${keys.join(', ')} };`) as (
    d: Dimensions,
    ...values: Args
  ) => Row;
}
