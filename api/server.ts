/**
 * `tdb api serve`: builds the application and listens on API_HOST:API_PORT until SIGTERM/SIGINT,
 * then closes the server and the clients.
 */
import type { Command } from 'commander';
import { config } from '../infra/config';
import { createContext } from '../infra/context';
import { buildApp } from './app';

export async function serve(): Promise<void> {
  const ctx = createContext(config(), 'api');
  // The referentials are read now, before the first request: loaded lazily by the first upload,
  // they held the event loop for more than a second (health checks and reads waited).
  void [ctx.territoires, ctx.organismes, ctx.relations];
  const app = await buildApp(ctx);
  const close = async () => {
    await app.close();
    await ctx.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  await app.listen({ host: ctx.config.API_HOST, port: ctx.config.API_PORT });
}

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description('the HTTP API')
    .command('serve')
    .description('listen on API_HOST:API_PORT (default 127.0.0.1:3000)')
    .action(serve);
}
