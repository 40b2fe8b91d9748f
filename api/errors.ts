/**
 * The HTTP server's error catalogue, in the style of Fastify's own (@fastify/error): each code has
 * one HTTP status and one French message template (util.format `%s`), whatever the route family
 * that raises it, so the same fault gets the same code everywhere (docs/errors.md lists them all).
 * The catalogue renders the two body shapes the contracts require:
 * - the ERP routes (`/api/v3/…`, the uploads `/api/v1/televersements`: connectors/http), as the
 *   national platform's contract says: `{status: "ERROR", code, message, champ?, elements?,
 *   limite?, fichier?}`;
 * - the read routes (everything else: api/, the Mission Locale routes):
 *   `{statusCode, error, code, champ?, message}`, `error` the HTTP reason phrase.
 * Every error answer carries the request id in `x-request-id`; 401s `WWW-Authenticate: Bearer`;
 * 503s `Retry-After`.
 *
 * What is translated into the catalogue, in order (`toHttpError`):
 * - errors thrown by the routes: `httpError(code, args, details)` (or `badField`, `unauthorized`,
 *   `forbidden`);
 * - schema validation errors (ajv): French by keyword, with the constraint (limits, allowed
 *   values, accepted parameters); keywords without a message of ours get ajv-i18n's French;
 * - the framework's errors (Fastify's router and content-type parser, @fastify/multipart),
 *   keyed on their codes; what a route's body is comes from its `config.corps` (CorpsAttendu);
 * - a retriable error of ours (infra/errors.ts): 503, the caller should try again;
 * - a 4xx raised by a library: its status, REQUETE_REFUSEE, a generic message (its text may be
 *   internal);
 * - anything else: a 500 whose body never shows the cause (ClickHouse, Kafka, Redis messages go
 *   to the log only), with the request id to quote.
 * `clientErrorHandler` answers what Node's HTTP parser refuses before Fastify sees a request (431,
 * 400, 408), in the read shape (there is no route to choose by).
 *
 * Errors of the catalogue extend infra/errors.ts: PermanentError (the same request fails the same
 * way), RetriableError for 429, 500 and 503 (the same request may succeed later).
 */
import createError from '@fastify/error';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { format } from 'node:util';
import localizeFr from 'ajv-i18n/localize/fr';
import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isRetriable, PermanentError, RetriableError, TdbError } from '../infra/errors';
import { AUTH_FAILURES_ERROR } from './plugins/auth-failures';
import { BODY_ENCODING_ERROR } from './plugins/json-body';

// ---------------------------------------------------------------------------------------------
// The catalogue

/** One code: its status, its message template, and when it is raised (docs/errors.md). */
interface Entry<A extends unknown[]> {
  status: number;
  message: string;
  retriable: boolean;
  /** Phantom: the template's arguments. */
  args?: A;
}
const entry = <A extends unknown[]>(status: number, message: string, retriable = false): Entry<A> => ({
  status,
  message,
  retriable,
});

/** Every error code of the HTTP server (docs/errors.md says when each is raised). */
export const CATALOGUE = {
  // Query and path parameters, request bodies' fields (every route family).
  PARAMETRE_INVALIDE: entry<[champ: string, raison: string]>(400, '%s : %s'),
  PARAMETRE_INCONNU: entry<[champ: string, raison: string]>(400, '%s : %s'),
  PARAMETRE_REQUIS: entry<[champ: string, raison: string]>(400, '%s : %s'),
  CARACTERES_INVALIDES: entry<[champ: string, raison: string]>(400, '%s : %s'),
  FILTRE_NON_ACCEPTE: entry<[champ: string, raison: string]>(400, '%s : %s'),
  // Addresses and requests.
  ROUTE_INCONNUE: entry<[methode: string, chemin: string, precision: string]>(
    404,
    'route inconnue : %s %s%s ; les routes et leurs paramètres sont décrits sur /docs',
  ),
  ADRESSE_TROP_LONGUE: entry<[limite: number]>(
    414,
    'adresse invalide : un paramètre du chemin dépasse %s caractères',
  ),
  REQUETE_TROP_LONGUE: entry<[]>(
    431,
    'adresse ou en-têtes trop longs (plus de 16 Ko au total) : raccourcir les paramètres de la requête',
  ),
  REQUETE_MAL_FORMEE: entry<[]>(400, 'requête HTTP mal formée'),
  DELAI_DEPASSE: entry<[]>(408, 'requête reçue trop lentement : délai dépassé'),
  REQUETE_REFUSEE: entry<[status: number]>(
    400,
    'requête refusée (%s) : vérifiez la méthode, les en-têtes et le corps',
  ),
  // Request bodies (every route family).
  JSON_INVALIDE: entry<[attendu: string]>(
    400,
    "le corps de la requête n'est pas un JSON valide : %s est attendu",
  ),
  CORPS_VIDE: entry<[attendu: string]>(400, 'le corps de la requête est vide : %s est attendu'),
  CORPS_INCOMPLET: entry<[raison: string]>(400, 'corps de la requête incomplet : %s'),
  CORPS_TROP_VOLUMINEUX: entry<[limite: string, conseil: string]>(
    413,
    'corps de la requête trop volumineux : %s au plus%s',
  ),
  TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE: entry<[recu: string, attendu: string]>(
    415,
    'type de contenu %snon pris en charge : %s attendu',
  ),
  /** api/plugins/json-body.ts: a body that is not UTF-8 (the reason says which byte and where). */
  ENCODAGE_INVALIDE: entry<[raison: string]>(400, '%s'),
  // Authentication and access.
  AUTHENTIFICATION_REQUISE: entry<[raison: string]>(401, '%s'),
  JETON_INVALIDE: entry<[raison: string]>(401, '%s'),
  JETON_EXPIRE: entry<[raison: string]>(401, '%s'),
  JETON_PAS_ENCORE_VALIDE: entry<[raison: string]>(401, '%s'),
  JETON_REVOQUE: entry<[raison: string]>(401, '%s'),
  CLE_API_MANQUANTE: entry<[]>(401, "clé d'API manquante : en-tête Authorization: Bearer <clé> requis"),
  CLE_API_INCONNUE: entry<[]>(401, "clé d'API inconnue"),
  CLE_API_REVOQUEE: entry<[le: string]>(401, "clé d'API révoquée le %s"),
  ACCES_REFUSE: entry<[raison: string]>(403, '%s'),
  HORS_PERIMETRE: entry<[raison: string]>(403, '%s'),
  /** A public request crossing a demographic filter with an organisation or a formation (docs/statistical-disclosure-control.md, rule 5). */
  CROISEMENT_NON_PUBLIC: entry<[raison: string]>(403, '%s'),
  /** connectors/core/authorisation.ts: a key writes only its formateur's records, or those of a formateur attached to it. */
  ORGANISME_NON_AUTORISE: entry<[uai: string, siret: string, elements: string, raison: string]>(
    403,
    "la clé d'API de l'organisme UAI %s / SIRET %s ne peut pas transmettre ces dossiers : %s ; %s ; rien de cet envoi n'a été enregistré",
  ),
  // The push API's whole-request checks (connectors/http/dossiers-apprenants.ts).
  CORPS_NON_TABLEAU: entry<[recu: string]>(
    400,
    'le corps doit être un tableau JSON de dossiers ([{...}, {...}]), reçu : %s',
  ),
  TROP_DE_DOSSIERS: entry<[recus: string, limite: string]>(
    400,
    '%s dossiers reçus : %s au plus par appel ; envoyez-les en plusieurs appels',
  ),
  DOSSIER_NON_OBJET: entry<[lesquels: string]>(400, 'chaque dossier doit être un objet JSON : %s'),
  VALEUR_TROP_IMBRIQUEE: entry<[ou: string, niveaux: number, aussi: string]>(
    400,
    '%s : valeur imbriquée sur plus de %s niveaux ; un dossier du contrat v3 est un objet plat (texte, nombre, booléen ou null par champ)%s',
  ),
  // Uploads (connectors/http/televersements.ts, @fastify/multipart).
  FICHIER_ABSENT: entry<[]>(400, 'aucun fichier reçu (multipart/form-data, champ "fichier")'),
  UN_SEUL_FICHIER: entry<[]>(400, 'un seul fichier par envoi'),
  MULTIPART_INVALIDE: entry<[raison: string]>(400, 'formulaire multipart/form-data invalide : %s'),
  FICHIER_TROP_VOLUMINEUX: entry<[limite: string]>(413, 'fichier trop volumineux : %s au plus'),
  FICHIER_ILLISIBLE: entry<[raison: string]>(422, '%s'),
  /** connectors/files/limits.ts: inflated size, rows, columns, parse time or memory beyond the bounds. */
  FICHIER_HORS_LIMITES: entry<[raison: string]>(413, '%s'),
  TELEVERSEMENTS_EN_COURS: entry<[enCours: number, secondes: number]>(
    429,
    "%s téléversements de cette clé d'API sont déjà en cours : attendez leur rapport avant d'en envoyer un autre (réessayez dans %s s)",
    true,
  ),
  // Mission Locale routes.
  ALERTE_INCONNUE: entry<[alerte: string]>(404, 'alerte %s inconnue pour cette Mission Locale'),
  // Try again later.
  TROP_DE_REQUETES: entry<[max: number, secondes: number]>(
    429,
    "trop de requêtes pour cette clé d'API : %s par minute ; réessayez dans %s s",
    true,
  ),
  /** api/plugins/auth-failures.ts: too many 401s from one address (Retry-After set). */
  TROP_D_ECHECS_D_AUTHENTIFICATION: entry<[raison: string]>(429, '%s', true),
  TRANSMISSION_INDISPONIBLE: entry<[secondes: number]>(
    503,
    "transmission momentanément impossible, réessayez dans %s secondes : rien de cet envoi n'a été enregistré",
    true,
  ),
  SERVICE_INDISPONIBLE: entry<[secondes: number]>(
    503,
    'service momentanément indisponible, réessayez dans %s secondes',
    true,
  ),
  ERREUR_INTERNE: entry<[contexte: string, reference: string]>(
    500,
    'erreur interne du serveur%s ; réessayez plus tard, et si l’erreur persiste, communiquez la référence %s à l’équipe du tableau de bord',
    true,
  ),
} as const;

export type ErrorCode = keyof typeof CATALOGUE;
type ArgsOf<C extends ErrorCode> = (typeof CATALOGUE)[C] extends Entry<infer A> ? A : never;

/** What an error adds to its message: the field at fault, the items at fault, a limit, a file. */
export interface ErrorDetails {
  /** The field or parameter at fault (both shapes). */
  champ?: string;
  /** ERP shape: 0-based indexes of the items at fault (like `data[i]` of the reply). */
  elements?: number[];
  /** ERP shape: the limit passed (bytes or items). */
  limite?: number;
  /** ERP shape: the uploaded file's name (printable). */
  fichier?: string;
}

/** An error of the catalogue: Fastify's error shape, with its details and its retriable flag. */
export type HttpError = FastifyError & {
  code: ErrorCode;
  statusCode: number;
  retriable: boolean;
  /** The field at fault (also in `details`). */
  champ?: string;
  details: ErrorDetails;
};

/** The error classes, built by @fastify/error from the catalogue (code, template, status, base). */
const CLASSES = Object.fromEntries(
  Object.entries(CATALOGUE).map(([code, e]) => [
    code,
    createError(
      code,
      e.message,
      e.status,
      (e.retriable ? RetriableError : PermanentError) as unknown as ErrorConstructor,
    ),
  ]),
) as unknown as Record<ErrorCode, new (...args: unknown[]) => HttpError>;

/** An error of the catalogue, its message made from the code's template and `args`. */
export function httpError<C extends ErrorCode>(
  code: C,
  args: ArgsOf<C>,
  details: ErrorDetails = {},
): HttpError {
  const err = new CLASSES[code](...(args as unknown[]));
  err.details = details;
  if (details.champ !== undefined) err.champ = details.champ;
  return err;
}

/** Whether `err` is an error of the catalogue. */
export function isHttpError(err: unknown): err is HttpError {
  return (
    err instanceof TdbError &&
    typeof (err as unknown as { code?: unknown }).code === 'string' &&
    Object.hasOwn(CATALOGUE, (err as unknown as { code: string }).code)
  );
}

/** The message a code's template gives for `args` (docs, tests). */
export const messageOf = <C extends ErrorCode>(code: C, args: ArgsOf<C>): string =>
  format(CATALOGUE[code].message, ...(args as unknown[]));

type FieldCode =
  | 'PARAMETRE_INVALIDE'
  | 'PARAMETRE_INCONNU'
  | 'PARAMETRE_REQUIS'
  | 'CARACTERES_INVALIDES'
  | 'FILTRE_NON_ACCEPTE';
/** 400: a query field, path parameter or body property is unknown or malformed. */
export const badField = (champ: string, message: string, code: FieldCode = 'PARAMETRE_INVALIDE') =>
  httpError(code, [champ, message], { champ });
/** 401: no valid token where one is required. */
export const unauthorized = (
  message: string,
  code:
    | 'AUTHENTIFICATION_REQUISE'
    | 'JETON_INVALIDE'
    | 'JETON_EXPIRE'
    | 'JETON_PAS_ENCORE_VALIDE'
    | 'JETON_REVOQUE' = 'AUTHENTIFICATION_REQUISE',
) => httpError(code, [message]);
/** 403: the token's role or scope does not allow this. */
export const forbidden = (
  message: string,
  champ?: string,
  code: 'ACCES_REFUSE' | 'HORS_PERIMETRE' | 'CROISEMENT_NON_PUBLIC' = 'ACCES_REFUSE',
) => httpError(code, [message], champ === undefined ? {} : { champ });

/** Seconds a caller should wait before retrying after a 503 (`Retry-After`). */
export const RETRY_AFTER_S = 10;

// ---------------------------------------------------------------------------------------------
// The two body shapes

/** Which contract a route's errors follow. */
export type ErrorFamily = 'erp' | 'lecture';

/** The ERP routes (the national platform's contract): the push API and the uploads. */
export function familyOf(url: string): ErrorFamily {
  return url.startsWith('/api/v3/') || /^\/api\/v1\/televersements(?:[/?#]|$)/.test(url) ? 'erp' : 'lecture';
}

/** The body of the read routes. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  champ?: string;
  message: string;
}

/** The body of the ERP routes. */
export interface ErpErrorBody {
  status: 'ERROR';
  code: string;
  message: string;
  champ?: string;
  elements?: number[];
  limite?: number;
  fichier?: string;
}

/** The read routes' error body: `error` is the HTTP reason phrase (Node's STATUS_CODES). */
export function errorBody(statusCode: number, code: string, message: string, champ?: string): ErrorBody {
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    ...(champ !== undefined ? { champ } : {}),
    message,
  };
}

/** The body of `err` in the shape of `family`. */
export function renderError(err: HttpError, family: ErrorFamily): ErrorBody | ErpErrorBody {
  const d = err.details ?? {};
  if (family === 'lecture') return errorBody(err.statusCode, err.code, err.message, d.champ);
  return {
    status: 'ERROR',
    code: err.code,
    message: err.message,
    ...(d.champ !== undefined ? { champ: d.champ } : {}),
    ...(d.elements !== undefined ? { elements: d.elements } : {}),
    ...(d.limite !== undefined ? { limite: d.limite } : {}),
    ...(d.fichier !== undefined ? { fichier: d.fichier } : {}),
  };
}

/** The JSON schema of the read routes' error body (OpenAPI). */
export const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string', description: 'Code stable (docs/errors.md).' },
    champ: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'error', 'code', 'message'],
} as const;

/** The JSON schema of the ERP routes' error body (OpenAPI). */
export const erpErrorSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    status: { type: 'string', enum: ['ERROR'] },
    code: {
      type: 'string',
      description: 'Code stable (docs/errors.md), ex. CLE_API_INCONNUE, TROP_DE_DOSSIERS.',
    },
    message: { type: 'string', description: 'En français : ce qui ne va pas et quoi faire.' },
    champ: { type: 'string', description: 'Le champ ou paramètre en cause.' },
    elements: {
      type: 'array',
      items: { type: 'integer' },
      description: 'Indices (à partir de 0, comme data[i]) des éléments en cause.',
    },
    limite: { type: 'integer', description: 'La limite dépassée (octets ou dossiers).' },
    fichier: { type: 'string', description: 'Le fichier téléversé en cause.' },
  },
  required: ['status', 'code', 'message'],
} as const;

// ---------------------------------------------------------------------------------------------
// Schema validation errors (ajv, through Fastify)

type AjvError = Partial<ErrorObject> & { params?: Record<string, unknown> };
type ValidationContext = 'querystring' | 'params' | 'body' | 'headers';

/**
 * The field named by a Fastify/ajv validation error: the unknown property, the missing one, or the
 * last segment of the instance path (`/departement` → departement).
 */
export function fieldOfValidation(e: AjvError, context?: ValidationContext): string {
  if (typeof e.params?.additionalProperty === 'string') return e.params.additionalProperty;
  if (typeof e.params?.missingProperty === 'string') return e.params.missingProperty;
  const seg = (e.instancePath ?? '').split('/').filter(Boolean);
  return seg.length ? seg[seg.length - 1]! : context === 'body' ? BODY : '(requête)';
}

/** The `champ` of an error about the request body as a whole (not JSON, not an object). */
const BODY = 'corps';

const TYPE_NAMES: Record<string, string> = {
  string: 'texte attendu',
  integer: 'nombre entier attendu',
  number: 'nombre attendu',
  boolean: 'booléen attendu (true ou false)',
  array: 'liste attendue',
  object: 'objet attendu',
  null: 'valeur nulle attendue',
};

/** A value quoted in a message: short, printable, or not at all. */
export function shown(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return ` (reçu : ${String(v)})`;
  if (typeof v !== 'string' || v.length === 0 || v.length > 40) return '';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\uFFFD\uD800-\uDFFF]/.test(v)) return '';
  return ` (reçu : « ${v} »)`;
}

/** The schema properties a route declares for a validation context (for « paramètres acceptés »). */
function declaredProperties(
  request: FastifyRequest,
  context: ValidationContext | undefined,
): Record<string, { description?: string }> {
  const schema = request.routeOptions?.schema as Record<string, unknown> | undefined;
  const part = context
    ? (schema?.[context] as { properties?: Record<string, { description?: string }> } | undefined)
    : undefined;
  return part?.properties ?? {};
}

/** The value the validation error is about (query, params or body field), when it can be found. */
function valueOf(request: FastifyRequest, context: ValidationContext | undefined, champ: string): unknown {
  if (context === 'body' && champ === BODY) return request.body;
  const source =
    context === 'querystring'
      ? request.query
      : context === 'params'
        ? request.params
        : context === 'body'
          ? request.body
          : undefined;
  return source && typeof source === 'object' ? (source as Record<string, unknown>)[champ] : undefined;
}

/**
 * The French message of one validation error (without the field prefix) and its code: our wording
 * for the keywords the API's schemas use, ajv-i18n's French for any other.
 */
export function validationMessage(
  e: AjvError,
  ctx: {
    value?: unknown;
    accepted?: readonly string[];
    context?: ValidationContext;
    /** The property's schema description (what is expected, in words). */
    description?: string;
  } = {},
): { code: FieldCode; message: string } {
  const p = e.params ?? {};
  const body = ctx.context === 'body';
  const invalid = (message: string) => ({ code: 'PARAMETRE_INVALIDE' as const, message });
  switch (e.keyword) {
    case 'additionalProperties':
      return {
        code: 'PARAMETRE_INCONNU',
        message:
          (body ? 'propriété inconnue' : 'paramètre inconnu') +
          (ctx.accepted && ctx.accepted.length > 0
            ? ` ; ${body ? 'propriétés acceptées' : 'paramètres acceptés'} : ${ctx.accepted.join(', ')}`
            : ` (${body ? 'aucune propriété acceptée' : 'aucun paramètre accepté'} ici)`),
      };
    case 'required':
      return { code: 'PARAMETRE_REQUIS', message: body ? 'propriété requise' : 'paramètre requis' };
    case 'enum':
      return invalid(
        `valeur attendue parmi ${((p.allowedValues as unknown[]) ?? []).join(', ')}${shown(ctx.value)}`,
      );
    case 'type':
      if (Array.isArray(ctx.value) && p.type !== 'array')
        return invalid('une seule valeur attendue (paramètre répété)');
      return invalid(
        `${[p.type]
          .flat()
          .map((t) => TYPE_NAMES[String(t)] ?? `type ${String(t)} attendu`)
          .join(' ou ')}${shown(ctx.value)}`,
      );
    case 'minimum':
      return invalid(`doit être supérieur ou égal à ${String(p.limit)}${shown(ctx.value)}`);
    case 'maximum':
      return invalid(`doit être inférieur ou égal à ${String(p.limit)}${shown(ctx.value)}`);
    case 'exclusiveMinimum':
      return invalid(`doit être strictement supérieur à ${String(p.limit)}${shown(ctx.value)}`);
    case 'exclusiveMaximum':
      return invalid(`doit être strictement inférieur à ${String(p.limit)}${shown(ctx.value)}`);
    case 'maxLength':
      return invalid(`au plus ${String(p.limit)} caractères`);
    case 'minLength':
      return invalid(`au moins ${String(p.limit)} caractère${Number(p.limit) > 1 ? 's' : ''}`);
    case 'pattern':
      return invalid(
        `format invalide${shown(ctx.value)} ; attendu : ${ctx.description ? `${ctx.description}, ` : ''}motif ${String(p.pattern)}`,
      );
    default: {
      const copy = { ...e, params: { ...p } } as ErrorObject;
      localizeFr([copy]);
      return invalid(copy.message ?? 'valeur invalide');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The framework's errors

/**
 * What a route's body is, for the messages of the body errors (Fastify route option
 * `config.corps`). Default: a JSON object.
 */
export interface CorpsAttendu {
  /** What the body must be, in words ("un tableau JSON de dossiers"). */
  attendu: string;
  /** The content type expected ("application/json", "multipart/form-data"). */
  type: string;
  /** What to do when it is too large (" ; envoyez les dossiers en plusieurs appels"). */
  conseil?: string;
  /** Uploads: the largest file accepted (bytes), for FICHIER_TROP_VOLUMINEUX. */
  fichierMax?: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route's body is (api/errors.ts, messages of the body errors). */
    corps?: CorpsAttendu;
  }
}

const JSON_OBJECT: CorpsAttendu = { attendu: 'un objet JSON', type: 'application/json' };

/** Path parameters longer than this are refused by Fastify's router (its default maxParamLength). */
const MAX_PARAM_LENGTH = 100;

/** "64 Kio", "10 Mio", "10 octets": a byte limit in a message. */
function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} Mio`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} Kio`;
  return `${n.toLocaleString('fr-FR').replace(/\u202f|\u00a0/g, ' ')} octets`;
}

/** Errors of busboy (multipart parsing) carry no code: recognised by their text. */
const MULTIPART_SYNTAX = /multipart|boundary|part header|end of form|unexpected end/i;

/** The content type received, for a 415 message: `« text/plain » `, or `absent `. */
const receivedType = (request: FastifyRequest) => {
  const t = request.headers['content-type'];
  return t ? `« ${String(t).slice(0, 80)} » ` : 'absent ';
};

/**
 * A Fastify, @fastify/multipart or body-parser error raised before the handler, as an error of the
 * catalogue (null: not one of them). One code per fault, on every route family.
 */
function frameworkError(fe: FastifyError, request: FastifyRequest): HttpError | null {
  const corps = request.routeOptions?.config?.corps ?? JSON_OBJECT;
  const limit = request.routeOptions?.bodyLimit;
  switch (fe.code) {
    case 'FST_ERR_NOT_FOUND':
      return notFoundRoute(request);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError(
        'CORPS_TROP_VOLUMINEUX',
        [limit ? bytes(limit) : 'la limite', corps.conseil ?? ''],
        limit ? { limite: limit } : {},
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return httpError('TYPE_DE_CONTENU_NON_PRIS_EN_CHARGE', [receivedType(request), corps.type]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return httpError('CORPS_VIDE', [corps.attendu]);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpError('JSON_INVALIDE', [corps.attendu]);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return httpError('CORPS_INCOMPLET', ["sa longueur ne correspond pas à l'en-tête Content-Length"]);
    case 'FST_MP_PREMATURE_CLOSE':
      return httpError('CORPS_INCOMPLET', ['la requête a été interrompue avant la fin du fichier']);
    case 'FST_ERR_BAD_URL':
      return httpError('CARACTERES_INVALIDES', [
        'adresse invalide',
        'caractères invalides dans le chemin (encodage UTF-8 ou séquence %XX incorrecte)',
      ]);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return httpError('ADRESSE_TROP_LONGUE', [MAX_PARAM_LENGTH]);
    case 'FST_REQ_FILE_TOO_LARGE': {
      const max = corps.fichierMax;
      return httpError(
        'FICHIER_TROP_VOLUMINEUX',
        [max ? bytes(max) : 'la limite'],
        max ? { limite: max } : {},
      );
    }
    case 'FST_FILES_LIMIT':
      return httpError('UN_SEUL_FICHIER', []);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return httpError('MULTIPART_INVALIDE', ['trop de champs dans le formulaire']);
    case 'FST_PROTO_VIOLATION':
      return httpError('MULTIPART_INVALIDE', ['nom de champ interdit dans le formulaire']);
    case 'FST_NO_FORM_DATA':
      return httpError('FICHIER_ABSENT', []);
    case BODY_ENCODING_ERROR:
      return httpError('ENCODAGE_INVALIDE', [fe.message], { champ: 'corps' });
    case AUTH_FAILURES_ERROR:
      // Retry-After is already set by the plugin.
      return httpError('TROP_D_ECHECS_D_AUTHENTIFICATION', [fe.message]);
    default:
      break;
  }
  // JSON.parse errors of the default JSON body parser carry statusCode 400 and no code.
  if (fe instanceof SyntaxError && fe.statusCode === 400) return httpError('JSON_INVALIDE', [corps.attendu]);
  if (
    !fe.code &&
    typeof fe.message === 'string' &&
    MULTIPART_SYNTAX.test(fe.message) &&
    corps.type.startsWith('multipart/form-data')
  )
    return httpError('MULTIPART_INVALIDE', [
      'corps illisible ; envoyez le fichier dans un formulaire multipart/form-data',
    ]);
  return null;
}

/** 404 of an unknown route (method and path, without the query string). */
export function notFoundRoute(request: FastifyRequest): HttpError {
  const path = request.url.split('?')[0]!;
  const shownPath = path.length > 100 ? `${path.slice(0, 100)}…` : path;
  const readOnly =
    request.method !== 'GET' && request.method !== 'HEAD' && familyOf(path) === 'lecture'
      ? ' (les routes de lecture n’acceptent que GET)'
      : '';
  return httpError('ROUTE_INCONNUE', [request.method, shownPath, readOnly]);
}

/**
 * Any error thrown while serving `request`, as an error of the catalogue; `logged` says whether
 * it must be logged (a 5xx: its cause is never sent).
 */
export function toHttpError(
  err: unknown,
  request: FastifyRequest,
  family: ErrorFamily,
): { error: HttpError; logged: 'error' | 'info' | null } {
  if (isHttpError(err)) return { error: err, logged: null };
  const fe = (err ?? {}) as FastifyError & { validation?: AjvError[]; validationContext?: ValidationContext };
  if (fe.validation && fe.validation.length > 0) {
    const first = fe.validation[0]!;
    const context = fe.validationContext;
    const champ = fieldOfValidation(first, context);
    const declared = declaredProperties(request, context);
    const { code, message } = validationMessage(first, {
      context,
      value: valueOf(request, context, champ),
      accepted: Object.keys(declared),
      description: Object.hasOwn(declared, champ) ? declared[champ]?.description : undefined,
    });
    return { error: badField(champ, message, code), logged: null };
  }
  const known = frameworkError(fe, request);
  if (known) return { error: known, logged: null };
  if (err instanceof TdbError && isRetriable(err)) {
    // Ours, and it says "later" (Kafka could not take the events, ClickHouse unreachable).
    const code = family === 'erp' ? 'TRANSMISSION_INDISPONIBLE' : 'SERVICE_INDISPONIBLE';
    return { error: httpError(code, [RETRY_AFTER_S]), logged: 'error' };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // A client error raised by a library: its status is kept, its (English, maybe internal) text is not.
    const refused = httpError('REQUETE_REFUSEE', [status]);
    refused.statusCode = status;
    return { error: refused, logged: 'info' };
  }
  const contexte = family === 'erp' ? " : l'envoi n'a pas été traité" : '';
  return { error: httpError('ERREUR_INTERNE', [contexte, String(request.id)]), logged: 'error' };
}

// ---------------------------------------------------------------------------------------------
// Sending

/**
 * Sends any error in the shape of `family` (default: by the request's URL). Internal errors (and
 * 4xx errors of unknown origin) are logged with the request id and answered without their message.
 */
export function sendError(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  family: ErrorFamily = familyOf(request.url),
): FastifyReply {
  const { error, logged } = toHttpError(err, request, family);
  if (logged === 'error')
    request.log.error({ err }, `http: ${error.code}`); // the request logger carries reqId
  else if (logged === 'info') request.log.info({ err }, 'http: client error of unknown origin');
  if (error.statusCode === 401) void reply.header('www-authenticate', 'Bearer');
  if (error.statusCode === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
  return reply
    .code(error.statusCode)
    .header('x-request-id', request.id)
    .type('application/json')
    .send(renderError(error, family));
}

/** An error handler of `family` for a plugin context (`app.setErrorHandler(errorHandler('erp'))`). */
export const errorHandler =
  (family: ErrorFamily) =>
  (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendError(err, request, reply, family);

/**
 * Installs the read routes' error and not-found handlers in an encapsulated plugin context (the
 * read routes, the Mission Locale routes). With `notFound`, unknown routes under the context's
 * prefix get the 404 ROUTE_INCONNUE (one not-found handler per prefix: the read API installs it
 * for /api/v1).
 */
export function useApiErrors(app: FastifyInstance, opts: { notFound?: boolean } = {}): void {
  app.setErrorHandler(errorHandler('lecture'));
  if (opts.notFound)
    app.setNotFoundHandler((request, reply) => sendError(notFoundRoute(request), request, reply, 'lecture'));
}

/**
 * Fastify's `frameworkErrors` option: errors raised while routing (a path that is not valid
 * UTF-8 or %XX, a path parameter over 100 characters), in the shape of the URL's family.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(err, request, reply);
}

/**
 * Fastify's `clientErrorHandler` option: what Node's HTTP parser refuses before any request
 * exists (no route, no request id, no hooks): headers or URL over Node's 16 KB limit (431), a
 * malformed request (400), a request too slow to arrive (408). Written on the socket in the read
 * shape, then the connection is closed (as Node does).
 */
export function clientErrorHandler(
  this: FastifyInstance,
  err: Error & { code?: string },
  socket: Duplex,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? httpError('REQUETE_TROP_LONGUE', [])
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? httpError('DELAI_DEPASSE', [])
        : httpError('REQUETE_MAL_FORMEE', []);
  const body = renderError(error, 'lecture') as ErrorBody;
  this.log.debug({ err }, 'HTTP client error');
  if (socket.writable) {
    const json = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(err);
}
