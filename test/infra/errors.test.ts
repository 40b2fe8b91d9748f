/**
 * infra/errors.ts: every error type of the platform says whether retrying can succeed, and
 * `isRetriable` is what the consumers read (pure: no service).
 */
import { ScopeError, InvalidTokenError } from '../../api/auth/tokens';
import { SqlRenderError } from '../../api/sql/render';
import { FieldError } from '../../connectors/core/issues';
import { TransmissionError } from '../../connectors/core/pipeline';
import { OversizedMessageError } from '../../connectors/core/send-plan';
import { StaleUnitError } from '../../connectors/core/stages';
import { FileFormatError } from '../../connectors/files/csv';
import { MappingError } from '../../connectors/mappings/mapping';
import { YpareoFetchError } from '../../connectors/ypareo/poll';
import { ClickHouseError } from '../../infra/clickhouse/client';
import { MigrationError } from '../../infra/clickhouse/migrate';
import { ClockError } from '../../infra/clock';
import { ConfigError } from '../../infra/config';
import { DecryptionError } from '../../infra/crypto';
import { isRetriable, PermanentError, RetriableError, TdbError } from '../../infra/errors';
import { UndecodableMessageError } from '../../infra/kafka/codec';
import { ServiceError } from '../../infra/services/daemon';
import { MissionsLocalesError } from '../../streams/alerts/missions-locales';
import { ReplayError } from '../../streams/processor/replay';
import { ReferentialError } from '../../streams/referentiels/organismes';
import { CalendarDayError } from '../../streams/status/calendar';
import { InvalidDossierError } from '../../streams/status/types';

describe('every error type has its flag', () => {
  const cases: [string, Error, boolean][] = [
    ['TransmissionError (Kafka cannot take the events)', new TransmissionError('kafka: down'), true],
    ['StaleUnitError (an earlier send failed)', new StaleUnitError('x'), true],
    ['YpareoFetchError (the export cannot be fetched now)', new YpareoFetchError('x'), true],
    ['ClickHouseError without code (unreachable)', new ClickHouseError('ECONNREFUSED', undefined), true],
    ['ClickHouseError 252 TOO_MANY_PARTS', new ClickHouseError('Code: 252', 252), true],
    ['ClickHouseError 60 UNKNOWN_TABLE', new ClickHouseError('Code: 60', 60), false],
    ['ClickHouseError 62 SYNTAX_ERROR', new ClickHouseError('Code: 62', 62), false],
    ['InvalidDossierError', new InvalidDossierError('date_fin_formation', 'FIN_AVANT_ENTREE', 'x'), false],
    ['CalendarDayError', new CalendarDayError('FORMAT_INCONNU', 'x', 'y'), false],
    ['FieldError', new FieldError('UAI_INVALIDE', 'etablissement_formateur_uai', 'x'), false],
    ['DecryptionError', new DecryptionError('x'), false],
    ['UndecodableMessageError', new UndecodableMessageError('x'), false],
    ['OversizedMessageError', new OversizedMessageError('t', 2, 1), false],
    ['FileFormatError', new FileFormatError('x'), false],
    ['MappingError', new MappingError('x'), false],
    ['SqlRenderError', new SqlRenderError('x'), false],
    ['ScopeError', new ScopeError('x'), false],
    ['InvalidTokenError', new InvalidTokenError('JETON_EXPIRE', 'x'), false],
    ['ConfigError', new ConfigError('x'), false],
    ['ClockError', new ClockError('x'), false],
    ['MigrationError', new MigrationError('x'), false],
    ['ServiceError', new ServiceError('x'), false],
    ['ReferentialError', new ReferentialError('x'), false],
    ['MissionsLocalesError', new MissionsLocalesError('x'), false],
    ['ReplayError', new ReplayError('x'), false],
  ];
  it.each(cases)('%s', (_name, err, retriable) => {
    expect(err).toBeInstanceOf(TdbError);
    expect([(err as TdbError).retriable, isRetriable(err)]).toEqual([retriable, retriable]);
    // The property kafkajs reads on an error thrown from eachBatch (its retrier and restart).
    expect((err as unknown as { retriable: boolean }).retriable).toBe(retriable);
  });
});

describe('isRetriable', () => {
  it('reads kafkajs-style flags, and retries what says nothing (never dead-letter on a guess)', () => {
    expect(
      isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError', retriable: true })),
    ).toBe(true);
    expect(
      isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSNonRetriableError', retriable: false })),
    ).toBe(false);
    expect(isRetriable(new TypeError('a bug'))).toBe(true);
    expect(isRetriable('a string')).toBe(true);
    expect(isRetriable(null)).toBe(true);
  });

  it('the flag lives on the prototype, so that classes built without calling the constructor have it', () => {
    const fake = Object.create(PermanentError.prototype) as PermanentError;
    expect(fake.retriable).toBe(false);
    expect(isRetriable(fake)).toBe(false);
    expect(Object.keys(new RetriableError('x'))).not.toContain('retriable');
  });
});
