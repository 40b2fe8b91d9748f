/**
 * The dashboard's pages, served by the read API's own process (no separate server): the files
 * built by api/dashboard/build.ts into dist/dashboard/ (`npm run build:dashboard`, run by the install
 * step), at
 *
 *   GET /tableau-de-bord/                 public indicators (no sign-in)
 *   GET /tableau-de-bord/mission-locale   Mission Locale advisors (mission_locale token)
 *   GET /tableau-de-bord/cfa              a training organisation (cfa token)
 *   GET /tableau-de-bord/operateur        DREETS, DDETS, académie, admin
 *   GET /tableau-de-bord/assets/*         scripts, styles, fonts, icons (hashed names, cached a year)
 *   GET /                                 → 302 /tableau-de-bord/
 *
 * Each page gets the platform's date (its clock, TDB_CLOCK) as `<meta name="tdb-date">`, so that
 * its first API calls are made at once, in parallel, for the same day the API counts as today.
 * Headers: a Content-Security-Policy allowing only this origin (scripts, styles, fonts, API calls),
 * no framing, no referrer outside the origin. Without a build, the pages answer 503 saying how to
 * build them; the API itself is unaffected.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isoFromDay } from '../../streams/status/calendar';
import { OUT_DIR, PAGES } from './build-config';

export const DASHBOARD_PREFIX = '/tableau-de-bord';

/** Only this origin: the pages never load anything from elsewhere (the machines have no network). */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts and the map's legend set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

export interface DashboardOptions {
  /** Folder of the built pages (default dist/dashboard). */
  root?: string;
}

export async function dashboardPlugin(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const root = opts.root ?? OUT_DIR;
  const built = fs.existsSync(path.join(root, 'index.html'));
  await app.register(fastifyStatic, {
    root: path.join(root, 'assets'),
    prefix: `${DASHBOARD_PREFIX}/assets/`,
    decorateReply: false,
    index: false,
    wildcard: true,
    immutable: true,
    preCompressed: true,
    maxAge: '365d',
  });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });

  /** Page templates, re-read when the build changes them. */
  const cache = new Map<string, { mtimeMs: number; text: string }>();
  const template = (file: string): string | null => {
    const full = path.join(root, file);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(full);
    } catch {
      return null;
    }
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs) return hit.text;
    const text = fs.readFileSync(full, 'utf8');
    cache.set(file, { mtimeMs: stat.mtimeMs, text });
    return text;
  };

  for (const page of PAGES) {
    app.get(`${DASHBOARD_PREFIX}/${page.path}`, { schema: { hide: true } }, async (_request, reply) => {
      securityHeaders(reply).header('cache-control', 'no-cache');
      const text = template(page.file);
      if (text === null)
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(
            built
              ? `page ${page.file} absente de ${root}`
              : 'les pages du tableau de bord ne sont pas construites : lancez « npm run build:dashboard » (ou infra/scripts/ensure-deps.sh)',
          );
      const today = isoFromDay(app.ctx.clock.today());
      return reply
        .type('text/html; charset=utf-8')
        .send(text.replace('<head>', `<head>\n<meta name="tdb-date" content="${today}">`));
    });
  }
  app.get(DASHBOARD_PREFIX, { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect(`${DASHBOARD_PREFIX}/`),
  );
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${DASHBOARD_PREFIX}/`));
}
