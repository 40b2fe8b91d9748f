/**
 * Realistic, entirely fictitious learner records ("dossiers apprenants", ERP contract v3) for the
 * demo, the benchmarks and the tests: attached to real training organisations when a referential
 * is given, with residence communes in the organisation's département, formations (CFD, RNCP) of
 * every level, and contract histories in the proportions of apprenticeship: most sign within weeks,
 * some break their contract and find another or not, some never find an employer, a few are excluded.
 *
 * Deterministic for a given seed. Names are drawn from lists of common French names; no record
 * describes a real person.
 */
import { dayFromIso, isoFromDay } from '../../streams/status/calendar';
import type { Organisme, OrganismesReferential } from '../../streams/referentiels/organismes';
import type { Territoires } from '../../streams/referentiels/territoires';

export type DossierV3 = Record<string, unknown>;

export interface GenerateOptions {
  count: number;
  organismes: OrganismesReferential;
  territoires: Territoires;
  /** Seed of the pseudo-random generator (same seed, same records). */
  seed?: number;
  /**
   * "Today" for the generated histories (day number): trainings started up to two school years
   * before it, and ruptures or new contracts are placed relative to it.
   */
  today: number;
  /** Share of records given the shapes real ERPs send (DD/MM/YYYY dates, SIRET with spaces, …). Default 0.05. */
  messyShare?: number;
}

const PRENOMS_F = [
  'Emma',
  'Léa',
  'Chloé',
  'Manon',
  'Inès',
  'Camille',
  'Sarah',
  'Jade',
  'Lina',
  'Louise',
  'Zoé',
  'Lucie',
  'Maëlys',
  'Anaïs',
  'Océane',
  'Clémence',
  'Yasmine',
  'Eva',
  'Nour',
  'Romane',
];
const PRENOMS_M = [
  'Lucas',
  'Hugo',
  'Nathan',
  'Enzo',
  'Louis',
  'Mathis',
  'Théo',
  'Tom',
  'Noah',
  'Gabriel',
  'Rayan',
  'Maxime',
  'Yanis',
  'Adam',
  'Kylian',
  'Ethan',
  'Mohamed',
  'Antoine',
  'Baptiste',
  'Jules',
];
const NOMS = [
  'Martin',
  'Bernard',
  'Thomas',
  'Petit',
  'Robert',
  'Richard',
  'Durand',
  'Dubois',
  'Moreau',
  'Laurent',
  'Simon',
  'Michel',
  'Lefèvre',
  'Leroy',
  'Roux',
  'David',
  'Bertrand',
  'Morel',
  'Fournier',
  'Girard',
  'Bonnet',
  'Dupont',
  'Lambert',
  'Fontaine',
  'Rousseau',
  'Vincent',
  'Müller',
  'Lefebvre',
  'Faure',
  'André',
  'Mercier',
  'Blanc',
  'Guérin',
  'Boyer',
  'Garnier',
  'Chevalier',
  'François',
  'Legrand',
  'Gauthier',
  'Garcia',
  'Perrin',
  'Robin',
  'Clément',
  'Morin',
  'Nicolas',
  'Henry',
  'Roussel',
  'Mathieu',
  'Gautier',
  'Masson',
  'Da Silva',
  "N'Diaye",
  'Le Gall',
  'Nguyen',
];
/** NSF speciality groups with typical formations (level digit of the CFD, libellé, duration in years). */
const FORMATIONS: { nsf: string; niveau: string; libelle: string; annees: number }[] = [
  { nsf: '221', niveau: '5', libelle: 'CAP CUISINE', annees: 2 },
  { nsf: '221', niveau: '5', libelle: 'CAP BOULANGER', annees: 2 },
  { nsf: '221', niveau: '4', libelle: 'BP ARTS DE LA CUISINE', annees: 2 },
  { nsf: '311', niveau: '4', libelle: 'BAC PRO LOGISTIQUE', annees: 3 },
  { nsf: '311', niveau: '5', libelle: 'CAP OPERATEUR LOGISTIQUE', annees: 2 },
  { nsf: '312', niveau: '3', libelle: 'BTS MANAGEMENT COMMERCIAL OPERATIONNEL', annees: 2 },
  { nsf: '312', niveau: '4', libelle: 'BAC PRO METIERS DU COMMERCE ET DE LA VENTE', annees: 3 },
  { nsf: '233', niveau: '5', libelle: 'CAP MACON', annees: 2 },
  { nsf: '227', niveau: '5', libelle: 'CAP ELECTRICIEN', annees: 2 },
  { nsf: '252', niveau: '4', libelle: 'BAC PRO MAINTENANCE DES VEHICULES', annees: 3 },
  { nsf: '336', niveau: '5', libelle: 'CAP METIERS DE LA COIFFURE', annees: 2 },
  { nsf: '326', niveau: '3', libelle: 'BTS SERVICES INFORMATIQUES AUX ORGANISATIONS', annees: 2 },
  { nsf: '314', niveau: '2', libelle: 'LICENCE PRO GESTION ET COMPTABILITE', annees: 1 },
  { nsf: '326', niveau: '1', libelle: 'MASTER INFORMATIQUE', annees: 2 },
  { nsf: '200', niveau: '1', libelle: 'DIPLOME D INGENIEUR', annees: 3 },
  { nsf: '331', niveau: '4', libelle: 'BP PREPARATEUR EN PHARMACIE', annees: 2 },
];
const CAUSES_RUPTURE = ['démission', 'rupture conventionnelle', 'licenciement', "rupture période d'essai"];

/** Mulberry32: small, fast, good enough for simulation; deterministic per seed. */
export function prng(seed: number) {
  let a = seed >>> 0 || 1;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(arr: readonly T[]): T => arr[Math.floor(next() * arr.length)] as T,
    chance: (p: number) => next() < p,
  };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** A copy of `list` in a deterministic random order (Fisher–Yates). */
function shuffled<T>(list: readonly T[], r: ReturnType<typeof prng>): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The school year ("YYYY-YYYY") a training entry day belongs to (years start on 1 August). */
export function anneeScolaireOf(day: number): string {
  const [y, m] = isoFromDay(day).split('-').map(Number) as [number, number];
  const start = m >= 8 ? y : y - 1;
  return `${start}-${start + 1}`;
}

export function* generateDossiers(opts: GenerateOptions): Generator<DossierV3> {
  const r = prng(opts.seed ?? 42);
  const organismes = opts.organismes.all.filter((o) => o.nature !== 'responsable');
  const pool = shuffled(
    organismes.length > 0 ? organismes : opts.organismes.all,
    prng((opts.seed ?? 42) + 1),
  );
  if (pool.length === 0) throw new Error('generateDossiers: the organisations referential is empty');
  const messy = opts.messyShare ?? 0.05;
  const todayIso = isoFromDay(opts.today);
  const thisYear = Number(todayIso.slice(0, 4)) - (Number(todayIso.slice(5, 7)) >= 8 ? 0 : 1);
  const counters = new Map<string, number>();

  for (let i = 0; i < opts.count; i++) {
    // Sizes of training organisations are very unequal (a few large CFAs, many small ones): a
    // skewed draw gives the top 10 % of organisations about 40 % of the learners.
    const org: Organisme = pool[Math.floor(pool.length * r.next() ** 2.5)] as Organisme;
    const formation = r.pick(FORMATIONS);
    // Entry: the September of this or last school year (a few start late, in winter).
    const startYear = r.chance(0.55) ? thisYear : thisYear - 1;
    const entree = r.chance(0.85)
      ? dayFromIso(`${startYear}-09-01`) + r.int(-10, 30)
      : dayFromIso(`${startYear + 1}-01-05`) + r.int(0, 60);
    const annees = formation.annees;
    const fin = dayFromIso(`${startYear + annees}-06-30`) + r.int(-20, 10);
    const inscription = entree - r.int(10, 120);
    const age = r.chance(0.08) ? r.int(26, 35) : r.chance(0.25) ? r.int(15, 17) : r.int(18, 25);
    const naissance = entree - age * 365 - r.int(0, 364);

    // Contract history.
    const contrats: { debut: number; fin: number; rupture: number | null; siret: string }[] = [];
    const profile = r.next();
    if (profile > 0.1) {
      let debut = entree + (r.chance(0.12) ? -r.int(1, 30) : r.chance(0.6) ? r.int(0, 20) : r.int(21, 120));
      for (let k = 0; k < 4 && debut < fin; k++) {
        const cfin = r.chance(0.15) ? fin - r.int(15, 60) : fin;
        const broken = r.chance(k === 0 ? 0.18 : 0.1);
        const rupture = broken ? debut + r.int(20, Math.max(21, cfin - debut - 1)) : null;
        contrats.push({
          debut,
          fin: cfin,
          rupture: rupture !== null && rupture < cfin ? rupture : null,
          siret: siretEmployeur(r),
        });
        if (rupture === null || rupture >= cfin || !r.chance(0.55)) break;
        debut = rupture + (r.chance(0.15) ? 1 : r.int(7, 200));
      }
    }
    const exclusion = r.chance(0.03) ? entree + r.int(30, Math.max(31, fin - entree - 30)) : null;

    const sexeF = r.chance(0.37);
    const prenom = r.pick(sexeF ? PRENOMS_F : PRENOMS_M);
    const nom = r.pick(NOMS);
    const communes = opts.territoires.communesOf(org.departement);
    const commune = communes.length ? r.pick(communes) : null;
    const cp = commune ? (opts.territoires.postcodesOf(commune)[0] ?? null) : null;
    const cfd = `${formation.niveau}${r.pick(['00', '10', '20', '32', '50'])}${formation.nsf}${pad(r.int(1, 99), 2)}`;
    const n = (counters.get(org.uai) ?? 0) + 1;
    counters.set(org.uai, n);
    const isMessy = r.chance(messy);
    const date = (day: number) =>
      isMessy && r.chance(0.5) ? isoFromDay(day).split('-').reverse().join('/') : isoFromDay(day);

    const d: DossierV3 = {
      nom_apprenant: isMessy ? `  ${nom.toUpperCase()} ` : nom,
      prenom_apprenant: prenom,
      date_de_naissance_apprenant: date(naissance),
      annee_scolaire: anneeScolaireOf(entree),
      id_erp_apprenant: isMessy ? n : `${org.uai}-${pad(n, 6)}`,
      date_inscription_formation: date(inscription),
      date_entree_formation: date(entree),
      date_fin_formation: date(fin),
      etablissement_responsable_uai: org.uai,
      etablissement_responsable_siret: org.siret,
      etablissement_formateur_uai: org.uai,
      etablissement_formateur_siret: isMessy
        ? `${org.siret.slice(0, 3)} ${org.siret.slice(3, 6)} ${org.siret.slice(6, 9)} ${org.siret.slice(9)}`
        : org.siret,
      formation_cfd: cfd,
      formation_rncp: r.chance(0.8) ? `${isMessy ? '' : 'RNCP'}${r.int(30000, 39999)}` : undefined,
      libelle_court_formation: formation.libelle,
      annee_formation: 1 + Math.min(annees - 1, Math.max(0, Math.floor((opts.today - entree) / 365))),
      duree_theorique_formation: annees,
      sexe_apprenant: sexeF ? (isMessy ? '2' : 'F') : isMessy ? 'H' : 'M',
      rqth_apprenant: r.chance(0.04),
      email_contact: `${prenom}.${nom}@example.org`
        .toLowerCase()
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/[ ']/g, ''),
      tel_apprenant: telephone(r, org.departement, isMessy),
      code_postal_apprenant: cp ?? undefined,
      code_commune_insee_apprenant: commune ?? undefined,
      statut_apprenant: contrats.length > 0 ? 3 : 2,
      date_metier_mise_a_jour_statut: `${todayIso}T08:00:00.000Z`,
    };
    if (exclusion !== null && exclusion < fin) {
      d.date_exclusion_formation = date(exclusion);
      d.cause_exclusion_formation = 'abandon de formation';
    }
    contrats.forEach((c, k) => {
      const s = k === 0 ? '' : `_${k + 1}`;
      d[`contrat_date_debut${s}`] = date(c.debut);
      d[`contrat_date_fin${s}`] = date(c.fin);
      if (c.rupture !== null) {
        d[`contrat_date_rupture${s}`] = date(c.rupture);
        d[`cause_rupture_contrat${s}`] = r.pick(CAUSES_RUPTURE);
      }
      d[`siret_employeur${s}`] = c.siret;
    });
    for (const k of Object.keys(d)) if (d[k] === undefined) delete d[k];
    yield d;
  }
}

function siretEmployeur(r: ReturnType<typeof prng>): string {
  const base = `${r.int(300000000, 899999999)}${pad(r.int(10, 999), 4)}`;
  for (let c = 0; c <= 9; c++) {
    const s = base + c;
    let sum = 0;
    for (let i = 0; i < 14; i++) {
      let v = s.charCodeAt(13 - i) - 48;
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return s;
  }
  return base + '0';
}

/** A French mobile number in the formats ERPs send; overseas départements get their own prefixes. */
function telephone(r: ReturnType<typeof prng>, departement: string, messy: boolean): string {
  const overseas: Record<string, string> = {
    '971': '690',
    '972': '696',
    '973': '694',
    '974': '692',
    '976': '639',
  };
  const head = overseas[departement] ?? r.pick(['6', '7']);
  const rest = Array.from({ length: 9 - head.length }, () => r.int(0, 9)).join('');
  const national = `0${head}${rest}`;
  if (!messy) return national;
  const f = r.int(0, 2);
  if (f === 0)
    return `+33 ${national.slice(1, 2)} ${national.slice(2, 4)} ${national.slice(4, 6)} ${national.slice(6, 8)} ${national.slice(8)}`;
  if (f === 1) return national.replace(/(\d{2})(?=\d)/g, '$1.');
  return `0033${national.slice(1)}`;
}
