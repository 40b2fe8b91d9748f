/**
 * GET /api/v1/organismes/transmissions?seuil_jours&departement&etat: the training organisations of
 * the caller's territory and how they transmit (issue 14, operator page), from the `transmissions`
 * table (one row per received batch) and the organisations referential:
 *
 * - `transmet`: its last batch is at most `seuil_jours` days old (default 7);
 * - `arrete`: it transmitted, but not for more than `seuil_jours` days (`derniere_transmission`
 *   says since when): a whole organisation going silent (real-world-faults.md kind 8);
 * - `non_fiable`: the (UAI, SIRET) pair it transmits under is not in the organisations referential,
 *   so its learners are not counted (status-rules.md, "Counting"), whatever its dates.
 *
 * Per département: how many organisations are in each state, and `jamais`: organisations of the
 * referential there that never transmitted. An organisation's département is the referential's
 * (else its UAI's first digits), as for the scope checks (api/auth/perimetre.ts).
 *
 * Roles: dreets, ddets, academie (organisations of their territory), admin (every one). A
 * `departement` filter outside the scope is a 403 naming it.
 */
import type { FastifyPluginAsync } from 'fastify';
import { dayFromIso, isoFromDay } from '../../streams/status';
import { departementOfOrganisme, mayReadOrganisme } from '../auth/perimetre';
import type { Role } from '../auth/tokens';
import { badField, forbidden } from '../errors';
import { libelleOf } from '../format/libelles';
import { formatProperty, sendTable } from '../format/tables';
import { errorResponses } from '../indicateurs/schemas';
import type { QueryRunner } from '../sql/runner';
import { transmissionsByOrganismeSql } from './queries';

export const TERRITOIRE_ROLES: readonly Role[] = ['dreets', 'ddets', 'academie', 'admin'];
export const ETATS = ['transmet', 'arrete', 'non_fiable'] as const;
export type Etat = (typeof ETATS)[number];

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const countsProps = { transmettent: int, arretes: int, non_fiables: int, jamais: int } as const;

const schema = {
  summary: 'Organismes du territoire : qui transmet, qui a cessé de transmettre, qui n’est pas fiable',
  description:
    "Pour chaque organisme ayant transmis (couple UAI–SIRET) du périmètre du jeton : son état (transmet, arrete : aucun lot depuis plus de seuil_jours jours, non_fiable : couple UAI–SIRET absent du référentiel), son dernier lot, ses volumes ; par département, le nombre d'organismes dans chaque état et ceux du référentiel qui n'ont jamais transmis. Rôles : dreets, ddets, academie (leur territoire), admin. CSV/XLSX : la liste des organismes.",
  tags: ['organismes'],
  security: [{ bearerAuth: [] }],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      seuil_jours: {
        type: 'integer',
        minimum: 1,
        maximum: 366,
        default: 7,
        description: 'jours sans lot au-delà desquels un organisme a cessé de transmettre',
      },
      departement: { type: 'string', maxLength: 3, description: 'code de département (dans le périmètre)' },
      etat: { type: 'string', enum: [...ETATS], description: 'seulement les organismes dans cet état' },
      format: formatProperty,
    },
  },
  response: {
    200: {
      type: 'object',
      properties: {
        date: str,
        seuil_jours: int,
        par_departement: {
          type: 'array',
          items: {
            type: 'object',
            properties: { departement: str, libelle: { type: ['string', 'null'] }, ...countsProps },
          },
        },
        total: { type: 'object', properties: countsProps },
        organismes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              uai: str,
              siret: str,
              nom: { type: ['string', 'null'] },
              departement: { type: ['string', 'null'] },
              etat: { type: 'string', enum: [...ETATS] },
              premiere_transmission: { type: 'string', description: 'UTC, AAAA-MM-JJ hh:mm:ss' },
              derniere_transmission: { type: 'string', description: 'UTC, AAAA-MM-JJ hh:mm:ss' },
              jours_sans_transmission: int,
              lots: int,
              recus: int,
              rejetes: int,
            },
          },
        },
      },
      required: ['date', 'seuil_jours', 'par_departement', 'total', 'organismes'],
    },
    ...errorResponses,
  },
} as const;

interface Row {
  uai: string;
  siret: string;
  premiere: string;
  derniere: string;
  lots: string | number;
  recus: string | number;
  rejetes: string | number;
}

export const territoireRoutes: FastifyPluginAsync<{ runner: QueryRunner }> = async (app, { runner }) => {
  const { ctx } = app;

  app.get(
    '/organismes/transmissions',
    { schema, onRequest: app.authorize({ roles: TERRITOIRE_ROLES }) },
    async (request, reply) => {
      const q = request.query as { seuil_jours?: number; departement?: string; etat?: Etat };
      const seuil = Number(q.seuil_jours ?? 7);
      const p = request.principal;
      const idx = app.territoryIndex;
      if (q.departement !== undefined) {
        if (!ctx.territoires.codes.departements.has(q.departement))
          throw badField('departement', `code de département inconnu (reçu : « ${q.departement} »)`);
        const t0 = idx.of(q.departement);
        const inScope =
          p.role === 'admin' ||
          (p.role === 'ddets' && p.scope.includes(q.departement)) ||
          (p.role === 'dreets' && t0 !== undefined && p.scope.includes(t0.region)) ||
          (p.role === 'academie' && t0 !== undefined && p.scope.includes(t0.academie));
        if (!inScope)
          throw forbidden(
            `departement ${q.departement} est hors du périmètre du jeton`,
            'departement',
            'HORS_PERIMETRE',
          );
      }
      const today = ctx.clock.today();
      const rows = await runner.rows<Row>(
        'transmission',
        transmissionsByOrganismeSql(ctx.clickhouse.database),
      );
      const depOf = (uai: string) => departementOfOrganisme(uai, ctx.organismes) ?? null;
      const visible = (uai: string) => mayReadOrganisme(p, uai, idx, ctx.organismes);
      const wanted = (dep: string | null) => q.departement === undefined || dep === q.departement;

      const organismes = rows
        .filter((r) => r.uai !== '' && visible(r.uai) && wanted(depOf(r.uai)))
        .map((r) => {
          const days = today - dayFromIso(String(r.derniere).slice(0, 10));
          const etat: Etat = !ctx.organismes.isReliable(r.uai, r.siret)
            ? 'non_fiable'
            : days > seuil
              ? 'arrete'
              : 'transmet';
          const o = ctx.organismes.get(r.uai, r.siret) ?? ctx.organismes.byUai(r.uai)[0];
          return {
            uai: r.uai,
            siret: r.siret,
            nom: o ? o.enseigne || o.raison_sociale || null : null,
            departement: depOf(r.uai),
            etat,
            premiere_transmission: String(r.premiere),
            derniere_transmission: String(r.derniere),
            jours_sans_transmission: days,
            lots: Number(r.lots),
            recus: Number(r.recus),
            rejetes: Number(r.rejetes),
          };
        });

      // Counts per département: states of the organisations that transmitted, and the referential's
      // organisations there that never did (by UAI: any SIRET transmitted under it counts).
      const transmitted = new Set(rows.map((r) => r.uai));
      const zero = () => ({ transmettent: 0, arretes: 0, non_fiables: 0, jamais: 0 });
      const byDep = new Map<string, ReturnType<typeof zero>>();
      const at = (dep: string | null) => {
        const k = dep ?? '';
        let c = byDep.get(k);
        if (!c) byDep.set(k, (c = zero()));
        return c;
      };
      for (const o of organismes)
        at(o.departement)[
          o.etat === 'transmet' ? 'transmettent' : o.etat === 'arrete' ? 'arretes' : 'non_fiables'
        ]++;
      const seen = new Set<string>();
      for (const o of ctx.organismes.all) {
        if (seen.has(o.uai) || transmitted.has(o.uai)) continue;
        seen.add(o.uai);
        const dep = depOf(o.uai);
        if (wanted(dep) && visible(o.uai)) at(dep).jamais++;
      }
      const par_departement = [...byDep.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([departement, c]) => ({
          departement,
          libelle: departement ? libelleOf('departement', departement, ctx.organismes) : null,
          ...c,
        }));
      const total = zero();
      for (const d of par_departement)
        for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += d[k];

      const body = {
        date: isoFromDay(today),
        seuil_jours: seuil,
        par_departement,
        total,
        organismes: q.etat ? organismes.filter((o) => o.etat === q.etat) : organismes,
      };
      return sendTable(request, reply, body, () => ({
        name: `organismes-transmissions-${body.date}`,
        columns: [
          'uai',
          'siret',
          'nom',
          'departement',
          'etat',
          'premiere_transmission',
          'derniere_transmission',
          'jours_sans_transmission',
          'lots',
          'recus',
          'rejetes',
        ],
        rows: body.organismes,
      }));
    },
  );
};
