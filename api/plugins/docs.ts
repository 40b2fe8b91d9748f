/**
 * The OpenAPI document, generated from the routes' JSON schemas (@fastify/swagger), and its
 * interactive page (@fastify/swagger-ui): GET /docs (page), GET /docs/json (document).
 * Registered before every route family so that all routes are documented.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: "Tableau de bord de l'apprentissage — API",
        description:
          "Indicateurs quasi temps réel des effectifs d'apprentis (statuts calculés selon les règles du tableau de bord), listes nominatives pour les rôles habilités, santé et métriques. Jeton signé : Authorization: Bearer <jeton> (tdb tokens create) ; sans jeton : rôle public, sous secret statistique.",
        version: '1.0.0',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'indicateurs', description: 'Effectifs par date, groupe et période' },
        { name: 'apprenants', description: 'Listes nominatives (journalisées)' },
        { name: 'organismes', description: 'Transmissions des organismes' },
        { name: 'santé', description: 'Disponibilité et métriques' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
