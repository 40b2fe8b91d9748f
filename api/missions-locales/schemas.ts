/**
 * JSON schemas of the Mission Locale routes: one source for validation (400 naming the field),
 * serialisation and the OpenAPI document.
 */
import { errorSchema } from '../errors';
import { objectOf } from '../json-schema';
import { formatProperty } from '../format/tables';
import { ALERTE_COLUMNS, type AlerteVue } from '../../streams/alert-inbox/present';
import { SITUATIONS } from '../../streams/alert-inbox/model';

export const ML_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
export const EVENT_ID = /^[0-9]{1,20}-[0-9]{1,20}$/;

const nullableString = { type: ['string', 'null'] } as const;
const COLUMN_TYPES: Record<keyof AlerteVue, object> = {
  alerte_id: { type: 'string' },
  etat: { type: 'string', enum: ['ouverte', 'fermee'] },
  motif: { type: 'string', enum: ['RUPTURE', 'ABANDON', 'INSCRIT_SANS_CONTRAT'] },
  pourquoi: { type: 'string' },
  statut: { type: 'string' },
  statut_depuis: { type: 'string', description: 'AAAA-MM-JJ : premier jour du statut' },
  alerte_le: { type: 'string', description: "instant ISO d'émission de l'alerte" },
  priorite: { type: 'integer', description: 'RQTH 4 + mineur 2 + rupture récente 1 (au jour de l’alerte)' },
  rqth: { type: 'boolean' },
  mineur: { type: 'boolean' },
  rupture_recente: { type: 'boolean' },
  nom: nullableString,
  prenom: nullableString,
  date_de_naissance: nullableString,
  age: { type: ['integer', 'null'], description: 'âge à la date du jour (horloge de la plateforme)' },
  telephone: nullableString,
  email: nullableString,
  email_responsable: nullableString,
  adresse: nullableString,
  code_postal: nullableString,
  code_commune_insee: nullableString,
  commune: nullableString,
  departement: nullableString,
  formation_cfd: nullableString,
  formation_libelle: nullableString,
  organisme_uai: { type: 'string' },
  organisme_siret: { type: 'string' },
  organisme_nom: nullableString,
  mission_locale_id: { type: 'string' },
  mission_locale_nom: nullableString,
  situation: { type: 'string', enum: [...SITUATIONS] },
  situation_libelle: { type: 'string' },
  situation_le: nullableString,
  situation_par: nullableString,
  commentaire: nullableString,
  fermee_le: nullableString,
  code_fermeture: nullableString,
  raison_fermeture: nullableString,
};

export const alerteVueSchema = {
  type: 'object',
  properties: COLUMN_TYPES,
  required: [...ALERTE_COLUMNS],
} as const;

export const mlParams = objectOf({
  id: { type: 'string', pattern: ML_ID_PATTERN, description: 'identifiant de la Mission Locale' },
});

export const alerteParams = objectOf({
  id: { type: 'string', pattern: ML_ID_PATTERN },
  alerteId: { type: 'string', pattern: '^[0-9a-f]{32}$', description: "identifiant de l'alerte" },
});

const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema } as const;
const security = [{ bearerAuth: [] }];
const tags = ['missions-locales'];

export const PRIORITES = ['prioritaire', 'non_prioritaire', 'rqth', 'mineur', 'rupture_recente'] as const;

export const listSchema = {
  summary: 'Alertes de la Mission Locale : les jeunes à contacter',
  description:
    "Jeunes affectés à la Mission Locale, du plus urgent au plus récent : score de priorité (RQTH, mineur, rupture récente), puis jour de début du statut, puis instant de l'alerte. Rôles : mission_locale (son identifiant dans le périmètre) et admin. Chaque lecture est journalisée (acces_nominatifs). CSV/XLSX (format= ou Accept) : toutes les alertes du filtre, sans pagination.",
  tags,
  security,
  params: mlParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      statut: {
        type: 'string',
        enum: ['ouverte', 'fermee', 'toutes'],
        default: 'ouverte',
        description: "état de l'alerte (défaut : ouverte)",
      },
      priorite: { type: 'string', enum: [...PRIORITES] },
      motif: { type: 'string', enum: ['RUPTURE', 'ABANDON', 'INSCRIT_SANS_CONTRAT'] },
      situation: { type: 'string', enum: [...SITUATIONS], description: 'situation de suivi' },
      depuis: {
        type: 'string',
        pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
        maxLength: 10,
        description: 'AAAA-MM-JJ : alertes émises ce jour ou après (Europe/Paris)',
      },
      page: { type: 'integer', minimum: 1, maximum: 100000, default: 1 },
      par_page: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
      format: formatProperty,
    },
  },
  response: {
    200: objectOf({
      mission_locale_id: { type: 'string' },
      date: { type: 'string' },
      total: { type: 'integer' },
      page: { type: 'integer' },
      par_page: { type: 'integer' },
      dernier_evenement: {
        type: 'string',
        description:
          'identifiant du dernier événement du flux avant cette lecture : le passer en last_event_id au flux SSE pour ne rien manquer',
      },
      alertes: { type: 'array', items: alerteVueSchema },
    }),
    ...errors,
  },
} as const;

export const fluxSchema = {
  summary: 'Flux temps réel des alertes (Server-Sent Events)',
  description:
    "text/event-stream. Événements `alerte` (nouvelle alerte), `fermeture` (fermée : nouveau contrat, fin de formation…), `suivi` (situation modifiée), chacun avec `id:` croissant par Mission Locale et `data:` = {evenement_id, type, mission_locale_id, alerte_id, alerte}. Reprise sans perte ni doublon avec l'en-tête Last-Event-ID (ou last_event_id=). `reinitialisation` : le journal a été tronqué après l'identifiant donné, ou l'identifiant est postérieur au dernier événement du journal (reprise à la fin du journal) : recharger la liste. Un identifiant dont une partie dépasse 64 bits : 400. Commentaires `: ping` périodiques.",
  tags,
  security,
  params: mlParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      last_event_id: {
        type: 'string',
        maxLength: 41,
        description: 'reprendre après cet événement (comme l’en-tête Last-Event-ID)',
      },
    },
  },
  response: { 200: { description: 'flux text/event-stream', type: 'string' }, ...errors },
} as const;

const historiqueSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['creation', 'suivi', 'reprise', 'fermeture'] },
      at: { type: 'string' },
      par: { type: 'string' },
      role: { type: 'string' },
      situation: { type: 'string' },
      situation_libelle: { type: 'string' },
      commentaire: nullableString,
      de: { type: 'string' },
      code_fermeture: { type: 'string' },
      raison_fermeture: { type: 'string' },
    },
    required: ['type', 'at', 'par'],
  },
} as const;

export const oneSchema = {
  summary: 'Une alerte et son historique de suivi',
  description: 'Journalisée (acces_nominatifs).',
  tags,
  security,
  params: alerteParams,
  response: {
    200: objectOf({ alerte: alerteVueSchema, historique: historiqueSchema }),
    404: errorSchema,
    ...errors,
  },
} as const;

export const patchSchema = {
  summary: 'Enregistrer la situation de suivi d’une alerte',
  description:
    "Situation du jeune selon le conseiller (a_contacter, contacte, rdv_fixe, sans_reponse, retour_formation, pas_interesse, autre + commentaire), avec l'auteur (sujet du jeton) et l'instant, ajoutée à l'historique. Le commentaire est chiffré au repos.",
  tags,
  security,
  params: alerteParams,
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      situation: { type: 'string', enum: [...SITUATIONS] },
      commentaire: { type: 'string', maxLength: 2000, description: 'requis pour « autre »' },
    },
    required: ['situation'],
  },
  response: {
    200: objectOf({
      alerte_id: { type: 'string' },
      etat: { type: 'string' },
      situation: { type: 'string' },
      situation_libelle: { type: 'string' },
      situation_le: { type: 'string' },
      situation_par: { type: 'string' },
      commentaire: nullableString,
    }),
    404: errorSchema,
    ...errors,
  },
} as const;

const countsBySituation = objectOf({
  situation: { type: 'string' },
  libelle: { type: 'string' },
  total: { type: 'integer' },
  prioritaires: { type: 'integer' },
  rqth: { type: 'integer' },
  mineurs: { type: 'integer' },
  ruptures_recentes: { type: 'integer' },
  non_prioritaires: { type: 'integer' },
});

export const syntheseSchema = {
  summary: 'Synthèse des alertes : effectifs par situation de suivi et par priorité',
  description:
    'Alertes ouvertes par situation (avec leurs priorités) et par motif ; alertes fermées (conservées) par raison. Aucune donnée nominative. CSV/XLSX : le tableau par situation.',
  tags,
  security,
  params: mlParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { format: formatProperty },
  },
  response: {
    200: objectOf({
      mission_locale_id: { type: 'string' },
      date: { type: 'string' },
      ouvertes: { type: 'integer' },
      fermees: { type: 'integer' },
      par_situation: { type: 'array', items: countsBySituation },
      total: countsBySituation,
      par_motif: {
        type: 'object',
        properties: {
          RUPTURE: { type: 'integer' },
          ABANDON: { type: 'integer' },
          INSCRIT_SANS_CONTRAT: { type: 'integer' },
        },
      },
      fermetures: {
        type: 'object',
        properties: {
          NOUVEAU_CONTRAT: { type: 'integer' },
          FIN_DE_FORMATION: { type: 'integer' },
          REMPLACEE: { type: 'integer' },
          EXPIREE: { type: 'integer' },
        },
      },
    }),
    ...errors,
  },
} as const;

export const livraisonsSchema = {
  summary: 'Journal de livraison du webhook de la Mission Locale',
  description:
    'Chaque tentative (la plus récente d’abord) : événement, statut livree/echec/abandonnee, code HTTP, erreur, durée.',
  tags,
  security,
  params: mlParams,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { n: { type: 'integer', minimum: 1, maximum: 2000, default: 100 } },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        mission_locale_id: { type: 'string' },
        url: nullableString,
        livraisons: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              at: { type: 'string' },
              evenement: { type: 'string' },
              type: { type: 'string' },
              alerte: { type: 'string' },
              tentative: { type: 'integer' },
              statut: { type: 'string' },
              http: { type: ['integer', 'null'] },
              erreur: nullableString,
              duree_ms: { type: 'integer' },
              prochaine_tentative: nullableString,
            },
          },
        },
      },
      required: ['mission_locale_id', 'url', 'livraisons'],
    },
    ...errors,
  },
} as const;
