/**
 * A generated dataset for the API's integration tests: N learner records from
 * connectors/simulation, some made unreliable (SIRET not in the referential) or non-apprentices,
 * some updated once (a new version that cancels the previous one's deltas) or deleted, plus a few
 * handcrafted records whose status changes by elapsed time only. Facts are written to the test
 * namespace by test/api/support/facts.ts; expected counts are computed from the same records with
 * the status engine alone (computeParcours, counterAt), never from ClickHouse.
 */
import { generateDossiers, type DossierV3 } from '../../../connectors/simulation/dossiers';
import type { Context } from '../../../infra/context';
import { withLuhnDigit } from '../../../streams/referentiels/identifiants';
import type { Organisme, OrganismesReferential } from '../../../streams/referentiels/organismes';
import { computeParcours, counterAt, dayFromIso, isoFromDay } from '../../../streams/status';
import { dossierDatesFromV3 } from '../../../streams/status/from-v3';
import type { Counts } from '../../../api/secrecy';
import {
  appendFacts,
  emptyFacts,
  factsOf,
  insertFacts,
  learnerOf,
  type FactRows,
  type Learner,
  type Refs,
} from './facts';

export interface Dataset {
  /** The latest version of every record, with whether it was deleted. */
  learners: { learner: Learner; deleted: boolean }[];
  today: number;
  /** Organisations given one record in ten each (scope tests need organisations with many learners). */
  focus: Organisme[];
}

/**
 * The first training organisation of each département: the organisations a test's CFA tokens are
 * for (69: région 84, académie 10 Lyon; 13: région 93, académie 02 Aix-Marseille).
 */
export function focusOrganismes(
  organismes: OrganismesReferential,
  departements: readonly string[] = ['69', '13'],
): Organisme[] {
  return departements.map((dep) => {
    const o = organismes.all.find(
      (x) => x.departement === dep && x.nature !== 'responsable' && organismes.isReliable(x.uai, x.siret),
    );
    if (!o) throw new Error(`no reliable training organisation in département ${dep}`);
    return o;
  });
}

/** A SIRET with a valid Luhn key that no organisation of the referential has. */
export const UNKNOWN_SIRET = withLuhnDigit('9999999999999');

/** Cfd of the handcrafted records (one each): a rupture long ago, so ABANDON comes by elapsed time. */
export const CFD_TEMPS = 'ZZ999001';

/**
 * A record whose only contract was ruptured on `rupture`: RUPTURANT from that day, ABANDON from
 * day 181 without contract (status-rules.md §4), without any new data.
 */
export function handcrafted(base: DossierV3, rupture: string): DossierV3 {
  const d: DossierV3 = { ...base, id_erp_apprenant: `TEMPS-${rupture}`, formation_cfd: CFD_TEMPS };
  for (const k of Object.keys(d))
    if (k.startsWith('contrat_') || k.startsWith('cause_rupture') || k.startsWith('siret_employeur'))
      delete d[k];
  delete d.date_exclusion_formation;
  d.date_entree_formation = '2024-01-15';
  d.date_fin_formation = '2026-06-30';
  d.contrat_date_debut = '2024-01-15';
  d.contrat_date_fin = '2026-06-30';
  d.contrat_date_rupture = rupture;
  return d;
}

/** A later version of a record: a rupture on the first contract, or a training that ends later. */
function updated(v3: DossierV3): DossierV3 {
  const d = { ...v3 };
  const debut = typeof d.contrat_date_debut === 'string' ? dayFromIso(d.contrat_date_debut) : null;
  const fin = dayFromIso(String(d.date_fin_formation));
  if (debut !== null && d.contrat_date_rupture === undefined && debut + 60 < fin) {
    d.contrat_date_rupture = isoFromDay(debut + 60);
    for (const k of Object.keys(d)) if (/_(2|3|4)$/.test(k) && k.startsWith('contrat_')) delete d[k];
  } else {
    d.date_fin_formation = isoFromDay(fin + 45);
  }
  return d;
}

/** Records a test adds to the generated ones (written as version 1, never updated), given those. */
export type ExtraRecords = (refs: Refs, generated: readonly DossierV3[]) => DossierV3[];

/**
 * Generates `count` records (plus the handcrafted ones, and `extra`'s), writes their facts
 * (versions 1 and, for some, 2) into the context's namespace, and returns the records' final state.
 */
export async function loadDataset(
  ctx: Context,
  count: number,
  seed = 11,
  extra?: ExtraRecords,
): Promise<Dataset> {
  const refs: Refs = { territoires: ctx.territoires, organismes: ctx.organismes };
  const { dataset, rows } = buildDataset(refs, ctx.clock.today(), ctx.secrets.dataKey, count, seed, extra);
  await insertFacts(ctx.clickhouse, rows);
  return dataset;
}

/** The records of loadDataset and their fact rows, without writing them (test/chdb loads them into two engines). */
export function buildDataset(
  refs: Refs,
  today: number,
  dataKey: Buffer,
  count: number,
  seed = 11,
  extra?: ExtraRecords,
): { dataset: Dataset; rows: FactRows } {
  const rows = emptyFacts();
  const learners: Dataset['learners'] = [];
  const v3s = [
    ...generateDossiers({
      count,
      organismes: refs.organismes,
      territoires: refs.territoires,
      today,
      seed,
      messyShare: 0,
    }),
  ];
  v3s.push(handcrafted(v3s[0]!, '2024-08-01'), handcrafted(v3s[1]!, '2024-12-01'));
  if (extra) v3s.push(...extra(refs, v3s.slice(0, count)));
  const focus = focusOrganismes(refs.organismes);
  v3s.forEach((v3, i) => {
    const f = i < count && i % 10 < focus.length ? focus[i % 10]! : undefined;
    if (f) {
      v3.etablissement_formateur_uai = v3.etablissement_responsable_uai = f.uai;
      v3.etablissement_formateur_siret = v3.etablissement_responsable_siret = f.siret;
      v3.id_erp_apprenant = `FOCUS-${i}`;
    }
    if (i < count) {
      if (i % 23 === 5) v3.etablissement_formateur_siret = UNKNOWN_SIRET; // organisation not reliable: never counted
      if (i % 31 === 7) v3.apprentissage = false; // school-status pupil sent by mistake: never counted
      // SIFA type of CFA ("01"…"10"), not sent for one record in seven.
      if (i % 7 !== 3) v3.type_cfa = String((i % 10) + 1).padStart(2, '0');
    }
    const first = learnerOf(v3, refs);
    appendFacts(rows, factsOf(null, first, 1, today, dataKey));
    if (i < count && i % 9 === 4) {
      const second = learnerOf(updated(v3), refs);
      appendFacts(rows, factsOf(first, second, 2, today, dataKey));
      learners.push({ learner: second, deleted: false });
    } else if (i < count && i % 50 === 13) {
      appendFacts(rows, factsOf(first, first, 2, today, dataKey, true));
      learners.push({ learner: first, deleted: true });
    } else {
      learners.push({ learner: first, deleted: false });
    }
  });
  return { dataset: { learners, today, focus }, rows };
}

/** Whether a learner counts at all (status-rules.md: reliable organisation; apprentices only). */
export const counted = (e: Dataset['learners'][number]) =>
  !e.deleted && e.learner.dims.fiable === 1 && e.learner.dims.apprentissage === 1;

/**
 * Expected counters at `day` over the learners matching `keep`, computed from the v3 records with
 * the status engine alone (dates parsed again, parcours recomputed, counterAt).
 */
export function expectedCounts(ds: Dataset, day: number, keep: (l: Learner) => boolean = () => true): Counts {
  const c: Counts = { apprenants: 0, apprentis: 0, inscrits: 0, rupturants: 0, abandons: 0 };
  for (const e of ds.learners) {
    if (!counted(e) || !keep(e.learner)) continue;
    const { dates } = dossierDatesFromV3(e.learner.v3);
    const k = counterAt(dates, computeParcours(dates).parcours, day);
    if (k === null) continue;
    c[k.counter]++;
    if (k.apprenants) c.apprenants++;
  }
  return c;
}

/** Expected counters at `day` per value of a dimension (groups with only zeros left out). */
export function expectedBy(
  ds: Dataset,
  day: number,
  key: (l: Learner) => string,
  keep: (l: Learner) => boolean = () => true,
): Map<string, Counts> {
  const codes = new Set(ds.learners.filter(counted).map((e) => key(e.learner)));
  const out = new Map<string, Counts>();
  for (const code of codes) {
    const c = expectedCounts(ds, day, (l) => keep(l) && key(l) === code);
    if (c.apprenants !== 0 || c.abandons !== 0) out.set(code, c);
  }
  return out;
}
