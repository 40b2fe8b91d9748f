/**
 * The processor's logic for one learner record, pure (no I/O, time is a parameter): apply a change
 * event to the state (recompute the parcours with the status engine), announce the status changes
 * (LearnerStatusTransition, from new data or from elapsed time) and decide the dropout alerts.
 * The facts (intervals, signed deltas) are derived from the states before and after a batch
 * (batch.ts), so that a record changed several times in a batch writes its facts once.
 */
import { hash } from 'node:crypto';
import type {
  DossierApprenantChange,
  FrApprentissageTdb,
} from '../../schemas/generated/DossierApprenantChange';
import type { LearnerStatusTransition } from '../../schemas/generated/LearnerStatusTransition';
import { alertCandidate, buildAlert, type AlertSettings, type DropoutAlert } from '../alerts/rules';
import { dimensionsOf } from '../facts/dimensions';
import type { OrganismesReferential } from '../referentiels/organismes';
import type { Territoires } from '../referentiels/territoires';
import { isoFromDay } from '../status/calendar';
import { computeParcours, statusAt } from '../status/engine';
import { isRetriable, TdbError } from '../../infra/errors';
import { InvalidDossierError, type DossierDates, type Statut } from '../status/types';
import { CH_MAX_DAY, CH_MIN_DAY } from './facts';
import { entryAt, type LearnerState, type RecordFields } from './state';

type DossierApprenant = FrApprentissageTdb.DossierApprenant;

export interface LearnerEnv {
  /** The processing day (day number, Europe/Paris, from the injectable clock). */
  today: number;
  /** The processing instant (epoch ms). */
  nowMs: number;
  refs: { territoires: Territoires; organismes: OrganismesReferential };
  alerts: AlertSettings;
  /**
   * false during a replay: status changes and alerts are recorded in the state (so they are not
   * announced again later) but not emitted.
   */
  announce: boolean;
}

export interface RejectionReason {
  code: string;
  path: string;
  message: string;
}

/** What processing produced besides the new state. */
export interface LearnerOutputs {
  transitions: LearnerStatusTransition[];
  alerts: DropoutAlert[];
  rejected: { event: DossierApprenantChange; errors: RejectionReason[] }[];
}

export const emptyOutputs = (): LearnerOutputs => ({ transitions: [], alerts: [], rejected: [] });

/**
 * Deterministic transition id (record, previous and new status, effective day): redeliveries and
 * replays give the same id, so consumers and the ReplacingMergeTree table de-duplicate them.
 */
export function transitionId(
  recordKey: string,
  from: Statut | null,
  to: Statut,
  effectiveDay: number,
): string {
  // One-shot hash: cheaper than a Hash object per transition.
  return hash('sha256', `${recordKey}|${from ?? ''}|${to}|${effectiveDay}`, 'hex').slice(0, 32);
}

export function datesOf(d: DossierApprenant): DossierDates {
  return {
    entree: d.date_entree_formation,
    fin: d.date_fin_formation,
    exclusion: d.date_exclusion_formation,
    contrats: d.contrats.map((c, i) => ({
      debut: c.date_debut,
      fin: c.date_fin,
      rupture: c.date_rupture,
      rang: i + 1,
    })),
  };
}

export function fieldsOf(d: DossierApprenant, refs: LearnerEnv['refs']): RecordFields {
  const commune =
    d.code_commune_insee_apprenant ||
    (d.code_postal_apprenant ? refs.territoires.communeByPostcode(d.code_postal_apprenant) : undefined) ||
    null;
  return {
    dims: dimensionsOf(d, refs),
    commune,
    entree: d.date_entree_formation,
    fin: d.date_fin_formation,
    age_entree: d.age_entree_formation,
    libelle: d.libelle_court_formation,
    identite: Buffer.from(d.identite_chiffree).toString('base64'),
  };
}

function transition(
  key: string,
  s: LearnerState,
  from: Statut | null,
  to: Statut,
  day: number,
  cause: 'NEW_DATA' | 'ELAPSED_TIME',
  env: LearnerEnv,
): LearnerStatusTransition {
  return {
    event_id: transitionId(key, from, to, day),
    record_key: key,
    person_key: s.person_key,
    version: s.v,
    from,
    to,
    effective_date: day,
    cause,
    detected_at: env.nowMs,
    organisme_uai: s.rec?.dims.organisme_uai ?? '',
    organisme_siret: s.rec?.dims.organisme_siret ?? '',
  };
}

/**
 * Announces the changes of the projected parcours that time alone brought between the last
 * evaluation day `s.t` and `env.today` (ELAPSED_TIME), one per parcours entry passed, and decides
 * the alerts due today. Mutates `s`. Used by the scheduler and before applying new data.
 */
export function advanceTime(key: string, s: LearnerState, env: LearnerEnv, out: LearnerOutputs): void {
  const T = env.today;
  if (s.parcours && s.statut !== null && s.t < T) {
    let cur: Statut = s.statut;
    for (const e of s.parcours) {
      if (e.date <= s.t) continue;
      if (e.date > T) break;
      if (e.valeur !== cur) {
        out.transitions.push(transition(key, s, cur, e.valeur, e.date, 'ELAPSED_TIME', env));
        cur = e.valeur;
      }
    }
    s.statut = cur;
  }
  if (s.t < T) s.t = T;
  decideAlerts(key, s, env, out);
}

/** Announces the status today if it differs from the last one announced (cause NEW_DATA). Mutates `s`. */
function announceNewData(key: string, s: LearnerState, env: LearnerEnv, out: LearnerOutputs): void {
  const T = env.today;
  const now = s.parcours ? statusAt(s.parcours, T) : null;
  if (now !== null && now !== s.statut) {
    const effective = s.parcours ? (entryAt(s.parcours, T)?.entry.date ?? T) : T;
    out.transitions.push(transition(key, s, s.statut, now, effective, 'NEW_DATA', env));
  }
  s.statut = now;
  s.t = T;
  decideAlerts(key, s, env, out);
}

function decideAlerts(key: string, s: LearnerState, env: LearnerEnv, out: LearnerOutputs): void {
  const rec = s.rec;
  if (!s.parcours || !rec || rec.dims.apprentissage === 0) return;
  const c = alertCandidate(key, s.parcours, rec.fin, env.today, env.alerts);
  if (!c || s.alerts.includes(c.alert_id)) return;
  s.alerts.push(c.alert_id);
  if (!env.announce) return;
  const alert = buildAlert(
    c,
    {
      record_key: key,
      person_key: s.person_key,
      parcours: s.parcours,
      rqth: rec.dims.rqth === 1,
      age_entree: rec.age_entree,
      entree: rec.entree,
      commune: rec.commune,
      departement_organisme: rec.dims.departement,
      formation_cfd: rec.dims.formation_cfd || null,
      libelle: rec.libelle,
      organisme_uai: rec.dims.organisme_uai,
      organisme_siret: rec.dims.organisme_siret,
      identite: Buffer.from(rec.identite, 'base64'),
    },
    env.today,
    env.nowMs,
    env.alerts,
  );
  if (alert) out.alerts.push(alert);
}

const safeIso = (day: number): string => {
  try {
    return isoFromDay(day);
  } catch {
    return `jour ${day}`;
  }
};

/** The facts store days from 1970-01-01 to 2105-12-31 (ClickHouse Date); a timeline outside is refused, naming the field. */
function outOfStorableRange(first: number, fin: number): RejectionReason | null {
  if (first < CH_MIN_DAY) {
    return {
      code: 'DATE_HORS_LIMITES',
      path: 'date_entree_formation',
      message: `le parcours commence avant 1970 (${safeIso(first)}) : vérifiez date_entree_formation et les dates de début des contrats`,
    };
  }
  if (fin + 1 > CH_MAX_DAY) {
    return {
      code: 'DATE_HORS_LIMITES',
      path: 'date_fin_formation',
      message: `date_fin_formation (${safeIso(fin)}) est après 2105 : vérifiez la date`,
    };
  }
  return null;
}

/** The dead-letter reason of a permanent error (InvalidDossierError names its field). */
function rejectionOf(err: TdbError): RejectionReason {
  if (err instanceof InvalidDossierError) return { code: err.code, path: err.field, message: err.message };
  const code = (err as { code?: unknown }).code;
  return {
    code: typeof code === 'string' ? code : 'ERREUR_PERMANENTE',
    path: '(dossier)',
    message: err.message,
  };
}

const newState = (ev: DossierApprenantChange, partition: number, today: number): LearnerState => ({
  v: 0,
  op: ev.operation,
  part: partition,
  person_key: ev.person_key,
  rec: null,
  parcours: null,
  slots: 0,
  statut: null,
  t: today,
  alerts: [],
});

/**
 * Applies one change event to the record's state (the caller skips events whose version is not
 * above the state's: idempotency by version). Returns the new state; `prev` is not modified.
 *  - CREATE / UPDATE: the image's parcours replaces the previous one. An image the status engine
 *    refuses with a permanent error (InvalidDossierError, `retriable` false: infra/errors.ts) or a
 *    missing image goes to the dead-letter topic and leaves the facts as they were; a retriable
 *    error is thrown (the batch is processed again).
 *  - DELETE: the record stops counting (its parcours is dropped).
 *  - NOT_TRANSMITTED: a transmission signal, not a dropout: status facts unchanged.
 */
export function applyChange(
  prev: LearnerState | null,
  ev: DossierApprenantChange,
  partition: number,
  env: LearnerEnv,
  out: LearnerOutputs,
): LearnerState {
  const key = ev.record_key;
  const s: LearnerState = prev ? { ...prev, alerts: [...prev.alerts] } : newState(ev, partition, env.today);
  if (prev) advanceTime(key, s, env, out);
  s.v = ev.version;
  s.part = partition;
  if (ev.person_key) s.person_key = ev.person_key;
  switch (ev.operation) {
    case 'DELETE':
      s.op = 'DELETE';
      s.parcours = null;
      s.statut = null;
      return s;
    case 'NOT_TRANSMITTED':
      // The record keeps its last operation's facts; only the dossiers row says it was not transmitted.
      s.op = 'NOT_TRANSMITTED';
      if (!s.rec && ev.after) s.rec = fieldsOf(ev.after, env.refs);
      return s;
    default: {
      const after = ev.after;
      if (!after) {
        out.rejected.push({
          event: ev,
          errors: [
            {
              code: 'IMAGE_MANQUANTE',
              path: 'after',
              message: `${ev.operation} sans image du dossier (after est null)`,
            },
          ],
        });
        return s;
      }
      let parcours;
      try {
        parcours = computeParcours(datesOf(after)).parcours;
      } catch (err) {
        // infra/errors.ts: a retriable error fails the batch (processed again); a permanent one
        // (InvalidDossierError: the same image always fails) sends the event to the dead-letter topic.
        if (isRetriable(err)) throw err;
        out.rejected.push({ event: ev, errors: [rejectionOf(err as TdbError)] });
        return s;
      }
      const range = outOfStorableRange(
        parcours[0]?.date ?? after.date_entree_formation,
        after.date_fin_formation,
      );
      if (range) {
        out.rejected.push({ event: ev, errors: [range] });
        return s;
      }
      s.parcours = parcours;
      s.op = ev.operation;
      s.rec = fieldsOf(after, env.refs);
      announceNewData(key, s, env, out);
      return s;
    }
  }
}
