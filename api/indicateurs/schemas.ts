/**
 * JSON schemas of the indicator routes: one source for validation (ajv, additionalProperties
 * false: an unknown filter is a 400 naming it), serialisation and the OpenAPI document.
 */
import { errorSchema } from '../errors';
import { formatProperty } from '../format/tables';
import { COUNT_FIELDS } from '../secrecy';
import { filterProperties } from '../sql/filters';
import { GROUP_DIMENSION_NAMES } from './queries';

export const dateProperty = (description: string) =>
  ({ type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', maxLength: 10, description }) as const;

const count = (description: string) => ({ type: ['integer', 'null'], description }) as const;

/**
 * The published counters of one row: exact for authenticated roles within their scope; for the
 * public (docs/statistical-disclosure-control.md), multiples of 5 (random rounding keyed by the
 * population), or null for every counter when the cell is withheld.
 */
export const countsProperties = {
  apprenants: count('apprentis + inscrits + rupturants'),
  apprentis: count('statut APPRENTI ou FIN_DE_FORMATION à la date'),
  inscrits: count('statut INSCRIT (sans contrat) à la date'),
  rupturants: count('statut RUPTURANT à la date'),
  abandons: count('statut ABANDON à la date'),
  masque: {
    type: 'array',
    items: { type: 'string', enum: [...COUNT_FIELDS] },
    description:
      "compteurs non diffusés (secret statistique, public : moins de 11 apprenants et abandons dans la cellule, ou complément d'un filtre de 1 à 10)",
  },
} as const;
const countsRequired = [...COUNT_FIELDS, 'masque'];

export const errorResponses = { 400: errorSchema, 401: errorSchema, 403: errorSchema } as const;

const security: { [label: string]: string[] }[] = [{ bearerAuth: [] }, {}];

export const indicateursSchema = {
  summary: 'Indicateurs à une date',
  description:
    "Effectifs à la date (défaut : aujourd'hui) selon les statuts calculés (status-rules.md). Rôles : public (secret statistique : effectifs arrondis aléatoirement à un multiple de 5, cellule non diffusée sous 11 apprenants ou si le complément d'un filtre compte de 1 à 10, population de moins de 100 donnée au premier jour du mois — la date de la réponse le dit —, filtres sexe / tranche_age / rqth non croisés avec un organisme ou une formation : 403 CROISEMENT_NON_PUBLIC), cfa (ses organismes), dreets/ddets/academie (leur territoire), admin : effectifs exacts dans le périmètre. CSV/XLSX : format= ou Accept.",
  tags: ['indicateurs'],
  security,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      date: dateProperty('AAAA-MM-JJ, défaut : aujourd’hui'),
      ...filterProperties,
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: { date: { type: 'string' }, ...countsProperties },
      required: ['date', ...countsRequired],
    },
    ...errorResponses,
  },
} as const;

export const parSchema = {
  summary: 'Indicateurs par groupe',
  description:
    "Une ligne par valeur de la dimension (code vide : inconnu), et la ligne total. Mêmes filtres et rôles que /indicateurs. Public : chaque ligne est la cellule de /indicateurs avec le filtre du groupe (mêmes valeurs), arrondie indépendamment (le total n'est pas la somme des lignes) ; le tableau entier est au premier jour du mois dès qu'une cellule compte moins de 100 apprenants et abandons.",
  tags: ['indicateurs'],
  security,
  params: {
    type: 'object',
    additionalProperties: false,
    properties: { dimension: { type: 'string', enum: GROUP_DIMENSION_NAMES } },
    required: ['dimension'],
  },
  querystring: indicateursSchema.querystring,
  response: {
    200: {
      type: 'object',
      properties: {
        date: { type: 'string' },
        dimension: { type: 'string' },
        lignes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              code: { type: ['string', 'null'] },
              libelle: { type: ['string', 'null'] },
              ...countsProperties,
            },
            required: ['code', 'libelle', ...countsRequired],
          },
        },
        total: { type: 'object', properties: countsProperties, required: countsRequired },
      },
      required: ['date', 'dimension', 'lignes', 'total'],
    },
    ...errorResponses,
  },
} as const;

export const seriesSchema = {
  summary: 'Séries temporelles',
  description:
    'Les effectifs à chaque pas (jour, semaine, mois) de from à to inclus. Mêmes filtres et rôles que /indicateurs. Public : un pas dont la population compte moins de 100 apprenants et abandons donne la cellule du premier jour de son mois (un point par date publiée).',
  tags: ['indicateurs'],
  security,
  querystring: {
    type: 'object',
    additionalProperties: false,
    required: ['from', 'to'],
    properties: {
      from: dateProperty('premier jour (AAAA-MM-JJ)'),
      to: dateProperty('dernier jour inclus (AAAA-MM-JJ)'),
      pas: { type: 'string', enum: ['jour', 'semaine', 'mois'], default: 'mois' },
      ...filterProperties,
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        from: { type: 'string' },
        to: { type: 'string' },
        pas: { type: 'string' },
        points: {
          type: 'array',
          items: {
            type: 'object',
            properties: { date: { type: 'string' }, ...countsProperties },
            required: ['date', ...countsRequired],
          },
        },
      },
      required: ['from', 'to', 'pas', 'points'],
    },
    ...errorResponses,
  },
} as const;

export const nationalSchema = {
  summary: 'Indicateurs nationaux (public)',
  description:
    'Effectifs nationaux à la date, sous le secret statistique du public (arrondis à un multiple de 5) pour tous les rôles sauf admin.',
  tags: ['indicateurs'],
  security,
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { date: dateProperty('AAAA-MM-JJ, défaut : aujourd’hui'), format: formatProperty },
  },
  response: indicateursSchema.response,
} as const;
