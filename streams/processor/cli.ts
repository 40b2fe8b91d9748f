/**
 * Commands of the stream processor: `tdb processor run` (long-running member of the consumer
 * group; SIGTERM/SIGINT stop it after the batch in progress, offsets committed) and `tdb replay`
 * (rebuild state and facts from the compacted topic, progress on stderr).
 */
import type { Command } from 'commander';
import { config } from '../../infra/config';
import { createContext } from '../../infra/context';
import { logger } from '../../infra/log';
import { consoleProgress } from '../../infra/services/progress';
import { replay } from './replay';
import { startProcessor } from './run';

async function run(): Promise<void> {
  const ctx = createContext(config(), 'processor');
  const log = logger('processor');
  const handle = await startProcessor(ctx);
  log.info({ namespace: ctx.config.TDB_NAMESPACE }, 'processor started');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, ...handle.totals }, 'stopping after the batch in progress');
    try {
      await handle.stop();
      await ctx.close();
      process.exit(0);
    } catch (err) {
      process.stderr.write(`tdb processor: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  void handle.fatal.then((err) => {
    process.stderr.write(`tdb processor: the consumer stopped: ${err.message}\n`);
    process.exit(1);
  });
}

export function registerProcessorCommands(program: Command): void {
  program
    .command('processor')
    .description('the stream processor (state, status transitions, facts, dropout alerts)')
    .command('run')
    .description('consume the change topic in the consumer group <namespace>.processor until SIGTERM')
    .action(run);
  program
    .command('replay')
    .description(
      'rebuild the processor state and facts of the namespace from the compacted topic (stop the processor first)',
    )
    .action(async () => {
      const ctx = createContext(config(), 'replay');
      try {
        await replay(ctx, consoleProgress());
      } finally {
        await ctx.close();
      }
    });
}
