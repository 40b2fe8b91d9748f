/**
 * The Mission Locale alert routes (issue 7), under /api/v1, for the advisors of that Mission
 * Locale (role mission_locale with its id in the token's scope) and admins; anyone else: 401
 * without a token, 403 with one.
 *
 *   GET   /missions-locales/{id}/alertes               the young people to contact (paginated; CSV/XLSX: all)
 *   GET   /missions-locales/{id}/alertes/flux          the same, live (Server-Sent Events, sse.ts)
 *   GET   /missions-locales/{id}/alertes/{alerteId}    one alert with its follow-up history
 *   PATCH /missions-locales/{id}/alertes/{alerteId}    the advisor's follow-up situation (+ comment)
 *   GET   /missions-locales/{id}/synthese              counts by situation, priority, motif, closure
 *   GET   /missions-locales/{id}/webhook/livraisons    the webhook's delivery log
 *
 * The alerts are kept by the alert inbox (streams/alert-inbox, Redis); contacts are opened only
 * here, for an entitled reader, after the read is written to the access log (acces_nominatifs).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sealJson } from '../../infra/crypto';
import {
  SITUATION_LIBELLES,
  SITUATIONS,
  priorityScore,
  type HistoryEntry,
  type Situation,
  type Suivi,
} from '../../streams/alert-inbox/model';
import { ALERTE_COLUMNS, openOrNull, presentAlert, type AlerteVue } from '../../streams/alert-inbox/present';
import { createAlertStore, type ListFilter } from '../../streams/alert-inbox/store';
import { webhookAdmin } from '../../streams/alert-inbox/webhooks';
import { isoFromDay } from '../../streams/status/calendar';
import { logNominativeAccess } from '../apprenants/access-log';
import type { Principal } from '../auth/tokens';
import { badField, httpError, useApiErrors } from '../errors';
import { formatOf, sendTable } from '../format/tables';
import { noStoreAnswers } from '../plugins/no-store';
import { checkCharacters, parseDay } from '../params';
import { checkQuery } from '../query-check';
import { fluxSchema, listSchema, livraisonsSchema, oneSchema, patchSchema, syntheseSchema } from './schemas';
import { JournalHub, serveFlux } from './sse';

type MlParams = { id: string };
type AlerteParams = { id: string; alerteId: string };

/** The guard's scope check: an advisor of this Mission Locale, or an admin. */
export const ownMissionLocale = (request: FastifyRequest, p: Principal) =>
  p.role === 'admin' || p.scope.includes((request.params as MlParams).id);

const notFound = (id: string) => httpError('ALERTE_INCONNUE', [id], { champ: 'alerteId' });

export interface MissionsLocalesOptions {
  /** SSE heartbeat interval (ms); default TDB_ALERTES_SSE_HEARTBEAT_MS. */
  heartbeatMs?: number;
}

export async function missionsLocalesRoutes(
  app: FastifyInstance,
  opts: MissionsLocalesOptions = {},
): Promise<void> {
  useApiErrors(app);
  noStoreAnswers(app); // alerts, their exports and follow-ups are nominative: never kept by a cache
  // Query values checked before the schema, so that a refusal says why (api/query-check.ts).
  app.addHook('preValidation', checkQuery({ depuis: (raw) => parseDay('depuis', String(raw)) }));
  const { ctx } = app;
  const store = createAlertStore(ctx.redis, ctx.keys.ml);
  const hub = new JournalHub(ctx);
  app.addHook('preClose', async () => hub.endAll());
  app.addHook('onClose', async () => hub.close());
  const guard = app.authorize({ roles: ['mission_locale', 'admin'], scope: ownMissionLocale });
  const presentEnv = () => ({
    dataKey: ctx.secrets.dataKey,
    today: ctx.clock.today(),
    organismes: ctx.organismes,
  });
  const routeOf = (request: FastifyRequest, fallback: string) => request.routeOptions.url ?? fallback;

  app.get(
    '/missions-locales/:id/alertes',
    { schema: listSchema, onRequest: guard },
    async (request, reply) => {
      const ml = (request.params as MlParams).id;
      const q = request.query as {
        statut: ListFilter['etat'];
        priorite?: ListFilter['priorite'];
        motif?: ListFilter['motif'];
        situation?: Situation;
        depuis?: string;
        page: number;
        par_page: number;
        format?: string;
      };
      const filter: ListFilter = {
        etat: q.statut ?? 'ouverte',
        priorite: q.priorite,
        motif: q.motif,
        situation: q.situation,
        depuisJour: q.depuis !== undefined ? parseDay('depuis', q.depuis) : undefined,
      };
      const exporting = formatOf(request) !== 'json';
      const page = q.page ?? 1;
      const parPage = q.par_page ?? 50;
      // The journal position before the read: events after it may repeat rows, never miss any.
      const dernier = await store.lastEventId(ml);
      const { total, alerts } = await store.list(
        ml,
        filter,
        exporting ? 0 : (page - 1) * parPage,
        exporting ? 0 : parPage,
      );
      const env = presentEnv();
      let unreadable = 0;
      const rows: AlerteVue[] = alerts.map((a) => {
        const shown = presentAlert(a, env);
        if (shown.unreadable) unreadable++;
        return shown.vue;
      });
      if (unreadable > 0)
        request.log.warn({ unreadable }, 'alert contacts that cannot be decrypted with the data key');
      const date = isoFromDay(env.today);
      await logNominativeAccess(ctx.clickhouse, {
        principal: request.principal,
        requestId: request.id,
        route: routeOf(request, '/api/v1/missions-locales/:id/alertes'),
        parametres: {
          mission_locale: ml,
          statut: filter.etat,
          priorite: q.priorite,
          motif: q.motif,
          situation: q.situation,
          depuis: q.depuis,
          page: exporting ? null : page,
          par_page: exporting ? null : parPage,
          format: formatOf(request),
        },
        dateReference: date,
        lignes: rows.length,
        at: ctx.clock.now(),
      });
      const body = {
        mission_locale_id: ml,
        date,
        total,
        page,
        par_page: parPage,
        dernier_evenement: dernier,
        alertes: rows,
      };
      return sendTable(request, reply, body, () => ({
        name: `alertes-${ml}-${date}`,
        columns: ALERTE_COLUMNS,
        rows: rows as unknown as Record<string, string | number | boolean | null>[],
      }));
    },
  );

  const heartbeatMs = opts.heartbeatMs ?? ctx.config.TDB_ALERTES_SSE_HEARTBEAT_MS;
  app.get(
    '/missions-locales/:id/alertes/flux',
    { schema: fluxSchema, onRequest: guard },
    async (request, reply) =>
      serveFlux(
        { ctx, store, hub, heartbeatMs, log: request.log },
        (request.params as MlParams).id,
        request,
        reply,
      ),
  );

  app.get(
    '/missions-locales/:id/alertes/:alerteId',
    { schema: oneSchema, onRequest: guard },
    async (request) => {
      const { id: ml, alerteId } = request.params as AlerteParams;
      const stored = await store.get(alerteId);
      if (!stored || stored.data.mission_locale_id !== ml) throw notFound(alerteId);
      const env = presentEnv();
      const { vue } = presentAlert(stored, env);
      const historique = (await store.history(alerteId)).map((h) => presentHistory(h, ctx.secrets.dataKey));
      await logNominativeAccess(ctx.clickhouse, {
        principal: request.principal,
        requestId: request.id,
        route: routeOf(request, '/api/v1/missions-locales/:id/alertes/:alerteId'),
        parametres: { mission_locale: ml, alerte: alerteId },
        dateReference: isoFromDay(env.today),
        lignes: 1,
        at: ctx.clock.now(),
      });
      return { alerte: vue, historique };
    },
  );

  app.patch(
    '/missions-locales/:id/alertes/:alerteId',
    { schema: patchSchema, onRequest: guard },
    async (request) => {
      const { id: ml, alerteId } = request.params as AlerteParams;
      const body = request.body as { situation: Situation; commentaire?: string };
      if (body.commentaire !== undefined)
        checkCharacters('commentaire', body.commentaire, 'texte (retours à la ligne permis)', {
          freeText: true,
        });
      const commentaire = body.commentaire?.trim() || null;
      if (body.situation === 'autre' && !commentaire)
        throw badField(
          'commentaire',
          'un commentaire est requis pour la situation « autre »',
          'PARAMETRE_REQUIS',
        );
      const p = request.principal;
      const suivi: Suivi = { situation: body.situation, at: ctx.clock.now(), par: p.sub, role: p.role };
      const sealed = commentaire ? sealJson(ctx.secrets.dataKey, commentaire) : null;
      if (!(await store.suivi(ml, alerteId, suivi, sealed))) throw notFound(alerteId);
      const stored = await store.get(alerteId);
      return {
        alerte_id: alerteId,
        etat: stored?.etat ?? 'ouverte',
        situation: suivi.situation,
        situation_libelle: SITUATION_LIBELLES[suivi.situation],
        situation_le: new Date(suivi.at).toISOString(),
        situation_par: suivi.par,
        commentaire,
      };
    },
  );

  app.get(
    '/missions-locales/:id/synthese',
    { schema: syntheseSchema, onRequest: guard },
    async (request, reply) => {
      const ml = (request.params as MlParams).id;
      const all = await store.summariesOf(ml);
      const open = all.filter((s) => s.etat === 'ouverte');
      const line = (situation: Situation | 'total', of: typeof open) => ({
        situation,
        libelle: situation === 'total' ? 'total' : SITUATION_LIBELLES[situation],
        total: of.length,
        prioritaires: of.filter((s) => priorityScore(s) > 0).length,
        rqth: of.filter((s) => s.rqth).length,
        mineurs: of.filter((s) => s.mineur).length,
        ruptures_recentes: of.filter((s) => s.rupture_recente).length,
        non_prioritaires: of.filter((s) => priorityScore(s) === 0).length,
      });
      const par_situation = SITUATIONS.map((sit) =>
        line(
          sit,
          open.filter((s) => s.situation === sit),
        ),
      );
      const count = <K extends string>(keys: readonly K[], of: (k: K) => number) =>
        Object.fromEntries(keys.map((k) => [k, of(k)])) as Record<K, number>;
      const closed = all.filter((s) => s.etat === 'fermee');
      const body = {
        mission_locale_id: ml,
        date: isoFromDay(ctx.clock.today()),
        ouvertes: open.length,
        fermees: closed.length,
        par_situation,
        total: line('total', open),
        par_motif: count(
          ['RUPTURE', 'ABANDON', 'INSCRIT_SANS_CONTRAT'] as const,
          (m) => open.filter((s) => s.motif === m).length,
        ),
        fermetures: count(
          ['NOUVEAU_CONTRAT', 'FIN_DE_FORMATION', 'REMPLACEE', 'EXPIREE'] as const,
          (c) => closed.filter((s) => s.fermeture === c).length,
        ),
      };
      return sendTable(request, reply, body, () => ({
        name: `synthese-alertes-${ml}-${body.date}`,
        columns: [
          'situation',
          'libelle',
          'total',
          'prioritaires',
          'rqth',
          'mineurs',
          'ruptures_recentes',
          'non_prioritaires',
        ],
        rows: [...par_situation, body.total],
      }));
    },
  );

  app.get(
    '/missions-locales/:id/webhook/livraisons',
    { schema: livraisonsSchema, onRequest: guard },
    async (request) => {
      const ml = (request.params as MlParams).id;
      const n = (request.query as { n?: number }).n ?? 100;
      const admin = webhookAdmin(ctx.redis, ctx.keys.ml, ctx.secrets.dataKey);
      const cfg = await ctx.redis.hget(ctx.keys.ml.webhook(ml), 'url');
      return { mission_locale_id: ml, url: cfg, livraisons: await admin.deliveries(ml, n) };
    },
  );
}

/** A history entry as the advisor reads it (comments opened, instants ISO). */
function presentHistory(h: HistoryEntry, dataKey: Buffer) {
  const at = new Date(h.at).toISOString();
  switch (h.type) {
    case 'creation':
      return { type: h.type, at, par: h.par };
    case 'suivi':
      return {
        type: h.type,
        at,
        par: h.par,
        role: h.role,
        situation: h.situation,
        situation_libelle: SITUATION_LIBELLES[h.situation],
        commentaire: h.commentaire ? openOrNull<string>(dataKey, Buffer.from(h.commentaire, 'base64')) : null,
      };
    case 'reprise':
      return {
        type: h.type,
        at,
        par: h.par,
        de: h.de,
        situation: h.situation,
        situation_libelle: SITUATION_LIBELLES[h.situation],
      };
    case 'fermeture':
      return {
        type: h.type,
        at,
        par: h.par,
        code_fermeture: h.fermeture.code,
        raison_fermeture: h.fermeture.raison,
      };
  }
}
