/**
 * `tdb`: the platform's command line. Each concern registers its own sub-commands;
 * this file only wires them together.
 */
import { Command } from 'commander';
import { registerApiCommand } from '../api/server';
import { registerTokensCommand } from '../api/auth/cli';
import { registerServicesCommand } from '../infra/services/cli';
import { registerTimelineCommand } from '../streams/status/cli';
import { registerProcessorCommands } from '../streams/processor/cli';
import { registerConnectorCommands } from '../connectors/cli';
import { registerDemoCommand } from '../connectors/simulation/demo';
import { registerAlertesCommands } from '../streams/alert-inbox/cli';
import { registerDlqCommands } from '../connectors/dlq/cli';

const program = new Command('tdb')
  .description("Tableau de bord de l'apprentissage: command line")
  .showHelpAfterError();

// Sub-commands are registered here as each concern provides them.
registerServicesCommand(program);
registerApiCommand(program);
registerTokensCommand(program);
registerTimelineCommand(program);
registerProcessorCommands(program);
registerConnectorCommands(program);
registerDemoCommand(program);
registerAlertesCommands(program);
registerDlqCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`tdb: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
