/**
 * Set-up of the `unit` Jest project (jest.config.js): a unit test reaches no service. Any TCP
 * connection from the test process to a service port (Kafka, its controller, the schema registry,
 * ClickHouse, Redis: the configured ports, or their defaults) throws, naming the port, so that a
 * test that needs a service is moved to the integration project instead of passing by accident
 * when the services happen to run.
 */
import net from 'node:net';

const SERVICE_PORTS = new Map<number, string>(
  (
    [
      ['KAFKA_PORT', 9092, 'Kafka'],
      ['KAFKA_CONTROLLER_PORT', 9093, 'Kafka (controller)'],
      ['SCHEMA_REGISTRY_PORT', 8081, 'schema registry'],
      ['SCHEMA_REGISTRY_MANAGEMENT_PORT', 8082, 'schema registry (management)'],
      ['CLICKHOUSE_HTTP_PORT', 8123, 'ClickHouse (HTTP)'],
      ['CLICKHOUSE_TCP_PORT', 9000, 'ClickHouse (native)'],
      ['REDIS_PORT', 6379, 'Redis'],
    ] as const
  ).map(([name, port, what]) => [Number(process.env[name] ?? port), what]),
);

/** The port of Socket#connect's arguments: (port, host?), (options), or (path) for IPC. */
function portOf(args: unknown[]): number | null {
  const [first] = args;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return Number(first);
  if (Array.isArray(first)) return portOf(first);
  if (first && typeof first === 'object' && 'port' in first) return Number((first as { port: unknown }).port);
  return null;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guarded(this: net.Socket, ...args: unknown[]) {
  const port = portOf(args);
  const service = port === null ? undefined : SERVICE_PORTS.get(port);
  if (service)
    throw new Error(
      `unit test connecting to ${service} (port ${port}): unit tests start and reach no service; list this file in the integration project (jest.config.js)`,
    );
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof connect;
