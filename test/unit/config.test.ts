// Configuration is validated at start-up and errors name the variable.
import { loadStewardEnv } from '../../src/config/env';
import { loadConnectionOptions } from '../../src/temporal/connection';

test('a malformed DATABASE_URL fails fast, naming the variable and what it must be', () => {
  expect(() => loadStewardEnv({ DATABASE_URL: 'mysql://x@y/z' })).toThrow(/DATABASE_URL: a postgres:\/\/ connection URL/);
});

test('a port out of range is refused with its variable name', () => {
  expect(() => loadStewardEnv({ STEWARD_TEMPORAL_PORT: '70000' })).toThrow(/STEWARD_TEMPORAL_PORT/);
});

test('defaults apply when nothing is set', () => {
  const env = loadStewardEnv({});
  expect(env.STEWARD_TEMPORAL_PORT).toBe(7233);
  expect(env.STEWARD_NAMESPACE_PREFIX).toBe('');
});

test("Temporal's own TEMPORAL_ADDRESS wins over the local stack's address", () => {
  expect(loadConnectionOptions('127.0.0.1:7233', { TEMPORAL_ADDRESS: 'temporal.internal:7233' }).address).toBe('temporal.internal:7233');
  expect(loadConnectionOptions('127.0.0.1:7233', {}).address).toBe('127.0.0.1:7233');
});

test('TEMPORAL_API_KEY and TLS settings from the environment reach the connection (Temporal Cloud style)', () => {
  const options = loadConnectionOptions(undefined, {
    TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
    TEMPORAL_API_KEY: 'key-123',
    TEMPORAL_TLS: 'true',
  });
  expect(options.address).toBe('acme.a1b2c.tmprl.cloud:7233');
  expect(options.apiKey).toBe('key-123');
  expect(options.tls).toBeTruthy();
});
