/**
 * Jest global set-up: the integration tests run against the real services. Starting them is
 * idempotent (a no-op when `.ci/run` or a developer already started them).
 */
import { loadConfig } from '../../infra/config';
import { startServices } from '../../infra/services/cli';
import { consoleProgress } from '../../infra/services/progress';

export default async function globalSetup(): Promise<void> {
  await startServices(loadConfig(), consoleProgress());
}
