import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable.js';

/** pg's error for a message from the server, as TypeORM wraps it around a failed statement. */
function failedStatement(code: string, message: string): QueryFailedError {
  const serverError = Object.assign(new pg.DatabaseError(message, 0, 'error'), { code });
  return new QueryFailedError('SELECT 1', [], serverError);
}

/** The shapes reproduced against PostgreSQL through a relay that cuts or black-holes the connection. */
describe('isDatabaseUnavailable', () => {
  it.each([
    ['statement timeout', failedStatement('57014', 'canceling statement due to statement timeout')],
    ['terminated by an administrator', failedStatement('57P01', 'terminating connection due to administrator command')],
    ['server starting up', failedStatement('57P03', 'the database system is starting up')],
    ['too many connections', failedStatement('53300', 'sorry, too many clients already')],
    ['connection failure', failedStatement('08006', 'connection failure')],
    ['lost mid-statement', new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly'))],
    ['no answer in time', new QueryFailedError('SELECT 1', [], new Error('Query read timeout'))],
    ['cut while connecting', new Error('Connection terminated unexpectedly')],
    ['no answer while connecting', new Error('Connection terminated due to connection timeout')],
    ['no free pooled connection in time', new Error('timeout exceeded when trying to connect')],
    ['refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ])('holds for: %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a constraint violation', failedStatement('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', failedStatement('42601', 'syntax error at or near "SELEC"')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'Connection terminated'],
    ['nothing', undefined],
  ])('does not hold for: %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
