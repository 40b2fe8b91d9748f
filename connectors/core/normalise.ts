/**
 * Normalisation of one structurally valid v3 item (validate.ts) into the record image
 * (schemas/avro/DossierApprenant.avsc, without its encrypted identity) and the clear identity that
 * will be sealed. Pure: no I/O, no clock; the referentials are parameters.
 *
 * Which fields reject an item and which are dropped with a warning (connectors/README.md):
 * - errors: what decides the record's identity, its organisation and its status dates
 *   (annee_scolaire, id_erp_apprenant, names, UAI/SIRET of the responsable and formateur, training
 *   and contract dates);
 * - warnings: everything else (optional codes — CFD, RNCP, postcodes, commune codes, SIRET of the
 *   employers, lieu de formation, SIFA codes —, contact details, sexe, INE, …): a value that can be
 *   repaired is, with a warning; one that cannot is dropped with a warning, the record is still
 *   counted (without it).
 * The NIR is never kept: only `nir_present`.
 */
import { DateTime } from 'luxon';
import type { FrApprentissageTdb } from '../../schemas/generated/DossierApprenant';
import { computeParcours } from '../../streams/status/engine';
import {
  ageAt as yearsAt,
  CalendarDayError,
  type CalendarDayWarning,
  dayFromIso,
  isoFromDay,
  parseCalendarDay,
} from '../../streams/status/calendar';
import { CONTRAT_SUFFIXES } from '../../streams/status/from-v3';
import { statusWarningMessage } from '../../streams/status/messages';
import type { StatusWarning } from '../../streams/status/types';
import type { OrganismesReferential } from '../../streams/referentiels/organismes';
import type { Territoires } from '../../streams/referentiels/territoires';
import { V3_TEXT_LIMITS } from '../../schemas/dossier-apprenant-v3.schema';
import { identiteApprenant, type IdentiteApprenant } from '../../schemas/identite';
import { FieldError, PERSONAL_FIELDS, type ValidationIssue, type Warning } from './issues';
import { normaliseCommune, normalisePostcode } from './normalise/codes-geo';
import { normaliseEmail } from './normalise/contact';
import {
  normaliseCfd,
  normaliseIne,
  normaliseRncp,
  normaliseSiret,
  normaliseUai,
  type Normalised,
} from './normalise/identifiants';
import { comparableName, displayName, withoutInvisible } from './normalise/names';
import { normalisePhone } from './normalise/phone';
import {
  cleanText,
  isBlank,
  normaliseAnneeScolaire,
  normaliseBoolean,
  normaliseInteger,
  normaliseSexe,
} from './normalise/scalars';

/** The record image before encryption of the identity (identite_chiffree is added by the pipeline). */
export type ClearImage = Omit<FrApprentissageTdb.DossierApprenant, 'identite_chiffree'>;

/** A normalised record: its image, its identity (clear and comparison forms), its warnings. */
export interface NormalisedDossier {
  image: ClearImage;
  /**
   * The personal data, sealed into `identite_chiffree` by schemas/identite.ts (the schema
   * IdentiteApprenant: dates ISO, the phone E.164, absent values null).
   */
  identite: IdentiteApprenant;
  /** nom and prénom in comparison form (lower case, no accents, single spaces): person key, fingerprint. */
  nomComparable: string;
  prenomComparable: string;
  /** Birth date as a day number, or null when absent (DATE_NAISSANCE_ABSENTE). */
  naissance: number | null;
  warnings: Warning[];
}

export type NormaliseResult =
  { ok: true; dossier: NormalisedDossier } | { ok: false; errors: ValidationIssue[] };

/** The referentials normalisation reads (Context.organismes / Context.territoires). */
export interface NormaliseRefs {
  organismes: OrganismesReferential;
  /** When given, a missing commune code is derived from a postcode that has exactly one commune. */
  territoires?: Territoires;
}

/**
 * custom_statut_apprenant values that say the learner is not an apprentice (real-world-faults.md,
 * kind 9): school-status pupils ("statut scolaire", "élève", "lycéen", "collégien") sent by
 * mistake, compared without case or accents; a text that also says "apprenti" is an apprentice.
 */
const NON_APPRENTI = /(^| )(scolaire|eleve|lyceen|collegien)( |$)/;

const CONTRATS = CONTRAT_SUFFIXES.map((s, i) => ({
  rang: i + 1,
  debut: `contrat_date_debut${s}`,
  fin: `contrat_date_fin${s}`,
  rupture: `contrat_date_rupture${s}`,
  cause: `cause_rupture_contrat${s}`,
  siret: `siret_employeur${s}`,
}));

/**
 * Training and contract dates (inscription, entrée, fin, exclusion, contrats) must lie in this
 * range: the facts store days from 1970 on (ClickHouse Date), and a date of 1900 or 2999 is a typo
 * that would otherwise be accepted here and dropped by the processor (DATE_HORS_LIMITES).
 */
export const DATE_FORMATION_MIN = dayFromIso('1990-01-01');
export const DATE_FORMATION_MAX = dayFromIso('2100-12-31');
/** Ages at the training entry outside this range are accepted with the warning AGE_INHABITUEL. */
export const AGE_MIN = 13;
export const AGE_MAX = 80;

/** Longest free text kept (the schema refuses longer ones: TEXTE_TROP_LONG). */
const FREE_TEXT = V3_TEXT_LIMITS.texteLibre;

/** Collects errors instead of stopping at the first, so the ERP sees every field to fix at once. */
class Collector {
  readonly errors: ValidationIssue[] = [];
  readonly warnings: Warning[] = [];
  /** Runs a normaliser; on FieldError records it and returns `fallback`. */
  run<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof FieldError) {
        this.errors.push(err.toIssue());
        return fallback;
      }
      throw err;
    }
  }
  /** A Normalised<T> result: keeps its warning. */
  take<T>(fn: () => Normalised<T>, fallback: T): T {
    return this.run(() => {
      const r = fn();
      if (r.warning) this.warnings.push(r.warning);
      return r.value;
    }, fallback);
  }
  warn(w: Warning | undefined): void {
    if (w) this.warnings.push(w);
  }
}

function requireText(c: Collector, rec: Record<string, unknown>, field: string): string {
  const v = cleanText(rec[field]);
  if (v === null)
    c.errors.push({ code: 'CHAMP_REQUIS', path: field, message: `${field} : champ requis vide` });
  return v ?? '';
}

/**
 * Why a date cannot be read, in French, for `field`: the calendar's message (it quotes the value),
 * or for a personal field (the birth date) the same reason without the value. "(attendu
 * AAAA-MM-JJ)" is added once, unless the reason already says what is expected.
 */
export function dateErrorMessage(field: string, err: CalendarDayError): string {
  let detail = err.message;
  if (PERSONAL_FIELDS.has(field)) {
    switch (err.code) {
      case 'DATE_INEXISTANTE':
        detail = "la date reçue n'existe pas dans le calendrier";
        break;
      case 'FORMAT_INCONNU':
        detail =
          'format de date non reconnu : attendu AAAA-MM-JJ, JJ/MM/AAAA, date-heure ISO 8601 ou numéro de série Excel';
        break;
      case 'SERIE_EXCEL_HORS_LIMITES':
        detail = /AAAAMMJJ/.test(err.message)
          ? 'la date ressemble à AAAAMMJJ sans séparateurs : format non accepté, écrivez AAAA-MM-JJ'
          : 'numéro de série Excel hors limites';
        break;
      case 'TYPE_INVALIDE':
        break; // says the type received, not the value
      default:
        detail = 'date illisible';
    }
  }
  return `${field} : ${detail}${/attendu|écrivez/.test(detail) ? '' : ' (attendu AAAA-MM-JJ)'}`;
}

/** A status module warning as the connectors show it (message rendered by streams/status/messages.ts). */
function statusWarning(w: StatusWarning): Warning {
  return { code: w.code, path: w.champ, message: statusWarningMessage(w) };
}

/** A date parsing warning of `field`, its message prefixed with the field. */
function calendarWarning(field: string, w: CalendarDayWarning): Warning {
  const message = statusWarningMessage({ ...w, champ: field } as StatusWarning);
  return { code: w.code, path: field, message: `${field} : ${message}` };
}

/**
 * A date field → day number, or null (absent, or unreadable: DATE_INVALIDE). `bounded`: training
 * and contract dates, outside DATE_FORMATION_MIN…MAX → DATE_HORS_LIMITES.
 */
function readDay(
  c: Collector,
  rec: Record<string, unknown>,
  field: string,
  required: boolean,
  bounded = true,
): number | null {
  const raw = rec[field];
  if (isBlank(raw)) {
    if (required)
      c.errors.push({ code: 'CHAMP_REQUIS', path: field, message: `${field} : date requise (AAAA-MM-JJ)` });
    return null;
  }
  try {
    const { day, warning } = parseCalendarDay(raw);
    if (warning) c.warnings.push(calendarWarning(field, warning));
    if (bounded && (day < DATE_FORMATION_MIN || day > DATE_FORMATION_MAX)) {
      c.errors.push({
        code: 'DATE_HORS_LIMITES',
        path: field,
        message: `${field} : ${isoFromDay(day)} est hors des limites acceptées (du ${isoFromDay(DATE_FORMATION_MIN)} au ${isoFromDay(DATE_FORMATION_MAX)}) ; vérifiez l'année`,
      });
      return null;
    }
    return day;
  } catch (err) {
    if (!(err instanceof CalendarDayError)) throw err;
    c.errors.push({ code: 'DATE_INVALIDE', path: field, message: dateErrorMessage(field, err) });
    return null;
  }
}

/** An optional non-essential value: normalised, or dropped with a warning naming the field. */
function optional<T>(
  c: Collector,
  rec: Record<string, unknown>,
  field: string,
  fn: (raw: unknown) => T,
): T | null {
  const raw = rec[field];
  if (isBlank(raw)) return null;
  try {
    return fn(raw);
  } catch (err) {
    if (!(err instanceof FieldError)) throw err;
    c.warnings.push({
      code: 'VALEUR_INVALIDE_IGNOREE',
      path: field,
      message: `${err.message} ; valeur ignorée`,
    });
    return null;
  }
}

function optionalDay(c: Collector, rec: Record<string, unknown>, field: string): number | null {
  const raw = rec[field];
  if (isBlank(raw)) return null;
  try {
    const { day, warning } = parseCalendarDay(raw);
    if (warning) c.warnings.push(calendarWarning(field, warning));
    return day;
  } catch (err) {
    if (!(err instanceof CalendarDayError)) throw err;
    c.warnings.push({
      code: 'VALEUR_INVALIDE_IGNOREE',
      path: field,
      message: `${field} : ${err.message} ; valeur ignorée`,
    });
    return null;
  }
}

/** Whole years from `birth` to `day` (day numbers, streams/status/calendar.ts `ageAt`), or null. */
export function ageAt(birth: number | null, day: number): number | null {
  return birth === null || birth > day ? null : yearsAt(birth, day);
}

/** date_metier_mise_a_jour_statut → epoch ms (a bare date is midnight in Europe/Paris). */
function readInstant(c: Collector, rec: Record<string, unknown>, field: string): number | null {
  const raw = rec[field];
  if (isBlank(raw)) return null;
  if (typeof raw === 'string') {
    const s = raw.trim();
    // An instant with its zone: Date.parse is exact (and ten times faster than luxon, hot path).
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})$/i.test(s)) {
      const ms = Date.parse(s);
      if (!Number.isNaN(ms)) return ms;
    }
    const iso = DateTime.fromISO(s, { zone: 'Europe/Paris' });
    if (iso.isValid) return iso.toMillis();
  }
  const day = optionalDay(c, rec, field);
  return day === null ? null : DateTime.fromISO(isoFromDay(day), { zone: 'Europe/Paris' }).toMillis();
}

/**
 * An identity text (names, address) without its invisible and bidi control characters (names.ts
 * `withoutInvisible`): removed, with the warning CARACTERES_INVISIBLES_SUPPRIMES naming the code
 * points (never the value). Null when nothing visible is left.
 */
function visibleText(c: Collector, field: string, raw: string | null): string | null {
  if (raw === null) return null;
  const { text, removed } = withoutInvisible(raw);
  if (removed.length === 0) return raw;
  c.warnings.push({
    code: 'CARACTERES_INVISIBLES_SUPPRIMES',
    path: field,
    message: `${field} : caractères invisibles ou de contrôle bidirectionnel supprimés (${removed.slice(0, 5).join(', ')}${removed.length > 5 ? ', …' : ''})`,
  });
  return cleanText(text);
}

/** A required identity text: CHAMP_REQUIS when absent or when only invisible characters were sent. */
function requireVisibleText(c: Collector, rec: Record<string, unknown>, field: string): string {
  const raw = requireText(c, rec, field);
  if (raw === '') return raw;
  const v = visibleText(c, field, raw);
  if (v === null)
    c.errors.push({
      code: 'CHAMP_REQUIS',
      path: field,
      message: `${field} : champ requis vide (seulement des caractères invisibles)`,
    });
  return v ?? '';
}

function optText(rec: Record<string, unknown>, field: string, max: number = FREE_TEXT): string | null {
  const v = cleanText(rec[field]);
  return v === null ? null : v.slice(0, max);
}

/** The (UAI, SIRET) pair of the responsable or formateur; flagged when not in the referential (kind 4). */
function readOrganisation(
  c: Collector,
  rec: Record<string, unknown>,
  kind: 'responsable' | 'formateur',
  refs: NormaliseRefs,
) {
  const uaiField = kind === 'responsable' ? 'etablissement_responsable_uai' : 'etablissement_formateur_uai';
  const siretField =
    kind === 'responsable' ? 'etablissement_responsable_siret' : 'etablissement_formateur_siret';
  const uai = isBlank(rec[uaiField])
    ? (requireText(c, rec, uaiField), '')
    : c.take(() => normaliseUai(uaiField, rec[uaiField]), '');
  const siret = isBlank(rec[siretField])
    ? (requireText(c, rec, siretField), '')
    : c.take(() => normaliseSiret(siretField, rec[siretField]), '');
  if (uai && siret && !refs.organismes.isReliable(uai, siret)) {
    c.warnings.push({
      code: 'ORGANISME_HORS_REFERENTIEL',
      path: uaiField,
      message: `${uaiField} / ${siretField} : le couple UAI ${uai} / SIRET ${siret} n'est pas dans le référentiel des organismes ; les apprenants ne sont pas comptés tant qu'il n'est pas corrigé`,
    });
  }
  return { uai, siret };
}

interface OrganisationRead {
  uai: string;
  siret: string;
  errors: ValidationIssue[];
  warnings: Warning[];
}

/**
 * `readOrganisation` by (kind, UAI text, SIRET text), per referential: a transmission names the
 * same few organisations on thousands of records. Bounded; cleared when full.
 */
const organisationMemo = new WeakMap<OrganismesReferential, Map<string, OrganisationRead>>();
const ORGANISATION_MEMO_LIMIT = 20_000;

function organisation(
  c: Collector,
  rec: Record<string, unknown>,
  kind: 'responsable' | 'formateur',
  refs: NormaliseRefs,
) {
  const rawUai = kind === 'responsable' ? rec.etablissement_responsable_uai : rec.etablissement_formateur_uai;
  const rawSiret =
    kind === 'responsable' ? rec.etablissement_responsable_siret : rec.etablissement_formateur_siret;
  if (typeof rawUai !== 'string' || typeof rawSiret !== 'string') return readOrganisation(c, rec, kind, refs);
  let memo = organisationMemo.get(refs.organismes);
  if (!memo) organisationMemo.set(refs.organismes, (memo = new Map()));
  const key = `${kind}:${rawUai.length}:${rawUai}${rawSiret}`;
  let read = memo.get(key);
  if (!read) {
    const own = new Collector();
    const { uai, siret } = readOrganisation(own, rec, kind, refs);
    read = { uai, siret, errors: own.errors, warnings: own.warnings };
    if (memo.size >= ORGANISATION_MEMO_LIMIT) memo.clear();
    memo.set(key, read);
  }
  // Copies: each record owns its issues.
  for (const e of read.errors) c.errors.push({ ...e });
  for (const w of read.warnings) c.warnings.push({ ...w });
  return { uai: read.uai, siret: read.siret };
}

/**
 * An optional code of the v3 contract (connectors/core/validate.ts OPTIONAL_CODE_FIELDS): normalised
 * with its repair warning (zero restored, separators removed, placeholder), or dropped with
 * VALEUR_INVALIDE_IGNOREE when it cannot be repaired: a malformed optional code never rejects the
 * record.
 */
function optionalCode<T>(
  c: Collector,
  rec: Record<string, unknown>,
  field: string,
  normaliser: (field: string, raw: unknown) => Normalised<T>,
): T | null {
  return optional(c, rec, field, (raw) => {
    const r = normaliser(field, raw);
    c.warn(r.warning);
    return r.value;
  });
}

/** An optional UAI (lieu de formation, dernier organisme): dropped with a warning when unusable. */
function optionalUai(c: Collector, rec: Record<string, unknown>, field: string): string | null {
  return optionalCode(c, rec, field, normaliseUai);
}

/** A contact detail of the identity (phone, e-mails): normalised, or dropped with its warning. */
function contact(
  c: Collector,
  rec: Record<string, unknown>,
  identite: IdentiteApprenant,
  field:
    | 'email_contact'
    | 'tel_apprenant'
    | 'responsable_apprenant_mail1'
    | 'responsable_apprenant_mail2'
    | 'email_referent_handicap_formation',
  fn: (f: string, raw: unknown) => { value: string | null; warning?: Warning },
): void {
  if (isBlank(rec[field])) return;
  const r = fn(field, rec[field]);
  c.warn(r.warning);
  if (r.value !== null) identite[field] = r.value;
}

function sexeOf(c: Collector, rec: Record<string, unknown>): 'M' | 'F' | null {
  if (isBlank(rec.sexe_apprenant)) return null;
  const r = normaliseSexe('sexe_apprenant', rec.sexe_apprenant);
  c.warn(r.warning);
  return r.value;
}

/** Options of `normaliseDossier`. */
export interface NormaliseOptions {
  /** Today's day number (Europe/Paris): a birth date after it is refused. Unchecked when absent. */
  today?: number;
}

/**
 * The birth date against the training entry and today: after either → DATE_NAISSANCE_INCOHERENTE
 * (the value is personal: not quoted); an age at entry outside AGE_MIN…AGE_MAX → AGE_INHABITUEL.
 */
function checkBirth(c: Collector, naissance: number | null, entree: number | null, today?: number): void {
  const field = 'date_de_naissance_apprenant';
  if (naissance === null) return;
  if (today !== undefined && naissance > today) {
    c.errors.push({
      code: 'DATE_NAISSANCE_INCOHERENTE',
      path: field,
      message: `${field} : la date de naissance est dans le futur ; vérifiez-la`,
    });
    return;
  }
  if (entree === null) return;
  if (naissance > entree) {
    c.errors.push({
      code: 'DATE_NAISSANCE_INCOHERENTE',
      path: field,
      message: `${field} : la date de naissance est postérieure à date_entree_formation (${isoFromDay(entree)}) ; vérifiez l'une des deux dates`,
    });
    return;
  }
  const age = ageAt(naissance, entree)!;
  if (age < AGE_MIN || age > AGE_MAX) {
    c.warnings.push({
      code: 'AGE_INHABITUEL',
      path: field,
      message: `${field} : âge à l'entrée en formation de ${age} ans, inhabituel (attendu de ${AGE_MIN} à ${AGE_MAX} ans) ; vérifiez la date de naissance`,
    });
  }
}

/**
 * Normalises one item (already checked by `validateStructure`). Returns every error at once, or the
 * normalised record with its warnings (codes listed in connectors/README.md).
 */
export function normaliseDossier(
  rec: Record<string, unknown>,
  refs: NormaliseRefs,
  opts: NormaliseOptions = {},
): NormaliseResult {
  const c = new Collector();

  // Identity of the record and of the person.
  const nom = displayName(requireVisibleText(c, rec, 'nom_apprenant'));
  const prenom = displayName(requireVisibleText(c, rec, 'prenom_apprenant'));
  const idErp = requireText(c, rec, 'id_erp_apprenant');
  const annee = isBlank(rec.annee_scolaire)
    ? (requireText(c, rec, 'annee_scolaire'), '')
    : c.run(() => normaliseAnneeScolaire('annee_scolaire', rec.annee_scolaire), '');
  const naissance = isBlank(rec.date_de_naissance_apprenant)
    ? null
    : readDay(c, rec, 'date_de_naissance_apprenant', false, false);
  if (isBlank(rec.date_de_naissance_apprenant)) {
    c.warnings.push({
      code: 'DATE_NAISSANCE_ABSENTE',
      path: 'date_de_naissance_apprenant',
      message:
        'date_de_naissance_apprenant : absente ; le dossier est accepté mais renseignez-la (requise par le contrat)',
    });
  }

  // Organisations.
  const responsable = organisation(c, rec, 'responsable', refs);
  const formateur = organisation(c, rec, 'formateur', refs);

  // Training and contract dates.
  const inscription = readDay(c, rec, 'date_inscription_formation', true);
  const entree = readDay(c, rec, 'date_entree_formation', true);
  const fin = readDay(c, rec, 'date_fin_formation', true);
  if (entree !== null && fin !== null && fin < entree) {
    c.errors.push({
      code: 'FIN_AVANT_ENTREE',
      path: 'date_fin_formation',
      message: `date_fin_formation (${isoFromDay(fin)}) est antérieure à date_entree_formation (${isoFromDay(entree)}) : corrigez l'une des deux dates`,
    });
  }
  checkBirth(c, naissance, entree, opts.today);
  const exclusion = readDay(c, rec, 'date_exclusion_formation', false);
  const contrats: FrApprentissageTdb.Contrat[] = [];
  const engineContrats: { debut: number; fin: number | null; rupture: number | null; rang: number }[] = [];
  for (const f of CONTRATS) {
    const debut = readDay(c, rec, f.debut, false);
    const cFin = readDay(c, rec, f.fin, false);
    const rupture = readDay(c, rec, f.rupture, false);
    if (debut === null) {
      if ((cFin !== null || rupture !== null) && !c.errors.some((e) => e.path === f.debut)) {
        c.warnings.push(
          statusWarning({ code: 'CONTRAT_SANS_DATE_DEBUT', champ: f.debut, params: { rang: f.rang } }),
        );
      }
      continue;
    }
    const siretEmployeur = optionalCode(c, rec, f.siret, normaliseSiret);
    contrats.push({
      date_debut: debut,
      date_fin: cFin,
      date_rupture: rupture,
      cause_rupture: optText(rec, f.cause),
      siret_employeur: siretEmployeur,
    });
    engineContrats.push({ debut, fin: cFin, rupture, rang: f.rang });
  }

  // Optional codes (kind 3): the unambiguous is normalised; what cannot be repaired is dropped with
  // a warning naming the field (the record is still counted, without that code).
  const cfd = optionalCode(c, rec, 'formation_cfd', normaliseCfd);
  const rncp = optionalCode(c, rec, 'formation_rncp', normaliseRncp);
  const codePostal = optionalCode(c, rec, 'code_postal_apprenant', normalisePostcode);
  let codeCommune = optionalCode(c, rec, 'code_commune_insee_apprenant', normaliseCommune);
  if (codeCommune === null && codePostal !== null && refs.territoires) {
    const derived = refs.territoires.communeByPostcode(codePostal);
    if (derived) {
      codeCommune = derived;
      c.warnings.push({
        code: 'COMMUNE_DEDUITE_DU_CODE_POSTAL',
        path: 'code_commune_insee_apprenant',
        message: `code_commune_insee_apprenant : absent, déduit du code postal ${codePostal} (${derived})`,
      });
    }
  }

  if (c.errors.length > 0) return { ok: false, errors: c.errors };

  // Non-essential values: dropped with a warning when unusable.
  const sexe = sexeOf(c, rec);
  const duree = optional(c, rec, 'duree_theorique_formation', (raw) =>
    normaliseInteger('duree_theorique_formation', raw, 1, 4),
  );
  const dureeMois =
    optional(c, rec, 'duree_theorique_formation_mois', (raw) =>
      normaliseInteger('duree_theorique_formation_mois', raw, 1, 48),
    ) ?? (duree === null ? null : duree * 12);
  const custom = optText(rec, 'custom_statut_apprenant');
  const customCmp = custom === null ? '' : comparableName(custom);
  const apprentissage = !(NON_APPRENTI.test(customCmp) && !customCmp.includes('apprenti'));
  if (!apprentissage) {
    c.warnings.push({
      code: 'NON_APPRENTI',
      path: 'custom_statut_apprenant',
      message: `custom_statut_apprenant : "${custom}" désigne un apprenant sous statut scolaire ; il n'est pas compté parmi les apprentis`,
    });
  }
  const typeCfa = optional(c, rec, 'type_cfa', (raw) => {
    const n = normaliseInteger('type_cfa', raw, 1, 10);
    return String(n).padStart(2, '0');
  });

  // Status engine warnings on impossible dates (kind 5): the engine ignores what it must and says so.
  if (entree !== null && fin !== null) {
    for (const w of computeParcours({ entree, fin, exclusion, contrats: engineContrats }).warnings)
      c.warnings.push(statusWarning(w));
  }

  const identite = identiteApprenant({ nom, prenom, code_postal_apprenant: codePostal });
  if (naissance !== null) identite.date_de_naissance = isoFromDay(naissance);
  const ine = isBlank(rec.ine_apprenant) ? null : normaliseIne('ine_apprenant', rec.ine_apprenant);
  if (ine?.warning) c.warnings.push(ine.warning);
  if (ine?.value) identite.ine = ine.value;
  contact(c, rec, identite, 'email_contact', normaliseEmail);
  contact(c, rec, identite, 'tel_apprenant', normalisePhone);
  contact(c, rec, identite, 'responsable_apprenant_mail1', normaliseEmail);
  contact(c, rec, identite, 'responsable_apprenant_mail2', normaliseEmail);
  contact(c, rec, identite, 'email_referent_handicap_formation', normaliseEmail);
  for (const field of [
    'adresse_apprenant',
    'nom_referent_handicap_formation',
    'prenom_referent_handicap_formation',
  ] as const) {
    const v = visibleText(c, field, optText(rec, field));
    if (v !== null) identite[field] = v;
  }
  const cpNaissance = optionalCode(c, rec, 'code_postal_de_naissance_apprenant', normalisePostcode);
  if (cpNaissance) identite.code_postal_de_naissance = cpNaissance;
  const communeNaissance = optionalCode(
    c,
    rec,
    'code_commune_insee_de_naissance_apprenant',
    normaliseCommune,
  );
  if (communeNaissance) identite.code_commune_insee_de_naissance = communeNaissance;

  const statutRaw = rec.statut_apprenant;
  const statut = optional(c, rec, 'statut_apprenant', (raw) =>
    normaliseInteger('statut_apprenant', raw, 0, 99),
  );

  const image: ClearImage = {
    annee_scolaire: annee,
    id_erp_apprenant: idErp,
    etablissement_responsable_uai: responsable.uai,
    etablissement_responsable_siret: responsable.siret,
    etablissement_formateur_uai: formateur.uai,
    etablissement_formateur_siret: formateur.siret,
    etablissement_lieu_de_formation_uai: optionalUai(c, rec, 'etablissement_lieu_de_formation_uai'),
    etablissement_lieu_de_formation_siret: optionalCode(
      c,
      rec,
      'etablissement_lieu_de_formation_siret',
      normaliseSiret,
    ),
    etablissement_lieu_de_formation_code_postal: optionalCode(
      c,
      rec,
      'etablissement_lieu_de_formation_code_postal',
      normalisePostcode,
    ),
    sexe_apprenant: sexe,
    age_entree_formation: entree === null ? null : ageAt(naissance, entree),
    rqth_apprenant:
      optional(c, rec, 'rqth_apprenant', (raw) => normaliseBoolean('rqth_apprenant', raw)) ?? false,
    date_rqth_apprenant: optionalDay(c, rec, 'date_rqth_apprenant'),
    code_postal_apprenant: codePostal,
    code_commune_insee_apprenant: codeCommune,
    nir_present: !isBlank(rec.nir_apprenant),
    formation_cfd: cfd,
    formation_rncp: rncp,
    libelle_court_formation: optText(rec, 'libelle_court_formation'),
    annee_formation: optional(c, rec, 'annee_formation', (raw) =>
      normaliseInteger('annee_formation', raw, 0, 5),
    ),
    duree_theorique_formation_mois: dureeMois,
    formation_presentielle: optional(c, rec, 'formation_presentielle', (raw) =>
      normaliseBoolean('formation_presentielle', raw),
    ),
    obtention_diplome_formation: optional(c, rec, 'obtention_diplome_formation', (raw) =>
      normaliseBoolean('obtention_diplome_formation', raw),
    ),
    date_obtention_diplome_formation: optionalDay(c, rec, 'date_obtention_diplome_formation'),
    date_inscription_formation: inscription!,
    date_entree_formation: entree!,
    date_fin_formation: fin!,
    date_exclusion_formation: exclusion,
    cause_exclusion_formation: optText(rec, 'cause_exclusion_formation'),
    contrats,
    statut_apprenant: statutRaw === undefined ? null : statut,
    custom_statut_apprenant: custom,
    date_metier_mise_a_jour_statut: readInstant(c, rec, 'date_metier_mise_a_jour_statut'),
    derniere_situation: optText(rec, 'derniere_situation', 20),
    dernier_organisme_uai: optionalUai(c, rec, 'dernier_organisme_uai'),
    type_cfa: typeCfa,
    apprentissage,
    avertissements: [],
  };
  image.avertissements = c.warnings.map((w) => `${w.code}:${w.path}`);
  return {
    ok: true,
    dossier: {
      image,
      identite,
      nomComparable: comparableName(nom),
      prenomComparable: comparableName(prenom),
      naissance,
      warnings: c.warnings,
    },
  };
}
