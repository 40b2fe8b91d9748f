/**
 * `tdb`: the platform's command line. Each concern registers its own sub-commands;
 * this file only wires them together.
 */
import { Command } from 'commander';
import { registerApiCommand } from '../api/server';
import { registerServicesCommand } from '../infra/services/cli';
import { registerTimelineCommand } from '../streams/status/cli';

const program = new Command('tdb').description("Tableau de bord de l'apprentissage: command line").showHelpAfterError();

// Sub-commands are registered here as each concern provides them.
registerServicesCommand(program);
registerApiCommand(program);
registerTimelineCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tdb: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
