/**
 * `Cache-Control: no-store` on nominative answers (lists of learners, Mission Locale alerts and
 * their exports, the SSE journal): no browser, proxy or CDN may keep a copy of personal data
 * (RFC 9111 §5.2.2.5). Installed as an onSend hook in the route families that disclose names
 * (api/apprenants, api/missions-locales), so that every answer of theirs, JSON, CSV, XLSX or
 * error, carries it; the SSE stream, hijacked, sets it itself (api/missions-locales/sse.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const NO_STORE = 'no-store';

export function noStoreAnswers(app: FastifyInstance): void {
  app.addHook('onSend', async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    void reply.header('cache-control', NO_STORE);
    return payload;
  });
}
