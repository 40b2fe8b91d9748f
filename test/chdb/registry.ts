/**
 * Every module of the platform that sends SQL to ClickHouse, with its builders (the module's
 * exported `SQL_BUILDERS`: the functions whose output reaches the server). registry.test.ts finds
 * the modules that write SQL in the sources and fails when one is missing here, or when a builder
 * has no case in cases.ts; engines.test.ts runs every case on ClickHouse 18.16 and chdb.
 */
import { SQL_BUILDERS as apprenants } from '../../api/apprenants/queries';
import { SQL_BUILDERS as disclosure } from '../../api/indicateurs/disclosure-queries';
import { SQL_BUILDERS as indicateurs } from '../../api/indicateurs/queries';
import { SQL_BUILDERS as organismes } from '../../api/organismes/queries';
import { SQL_BUILDERS as accessLog } from '../../infra/audit/access-log';
import { SQL_BUILDERS as migrations } from '../../infra/clickhouse/migrate';
import { SQL_BUILDERS as pending } from '../../streams/processor/pending';
import { SQL_BUILDERS as replay } from '../../streams/processor/replay';
import { SQL_BUILDERS as run } from '../../streams/processor/run';
import { SQL_BUILDERS as sink } from '../../streams/processor/sink';

export const QUERY_MODULES: Record<string, Record<string, unknown>> = {
  'api/indicateurs/queries.ts': indicateurs,
  'api/indicateurs/disclosure-queries.ts': disclosure,
  'api/apprenants/queries.ts': apprenants,
  'api/organismes/queries.ts': organismes,
  'infra/audit/access-log.ts': accessLog,
  'infra/clickhouse/migrate.ts': migrations,
  'streams/processor/pending.ts': pending,
  'streams/processor/replay.ts': replay,
  'streams/processor/run.ts': run,
  'streams/processor/sink.ts': sink,
};

/**
 * Files that write SQL-looking code without being query modules, and why they need no case:
 * they render or carry what the builders make.
 */
export const NOT_QUERY_MODULES: Record<string, string> = {
  'api/sql/render.ts': 'the rendering layer (its own tests: test/api/sql-render.test.ts)',
  'api/sql/filters.ts':
    "fragments of the builders' WHERE clauses: every filter is in the cases of the builders",
  'api/sql/runner.ts': 'runs the Sql it is given',
  'infra/clickhouse/client.ts':
    'the transport: runs the SQL it is given (the INSERT text only labels its errors)',
};

/** Source folders of the platform (what runs in production; tests and benchmarks are not). */
export const SOURCE_DIRS = ['api', 'bin', 'connectors', 'infra', 'schemas', 'streams'];
