// Which failures are a dependency's outage (waited out) and which are the step's own (spent from its retry).
import { StewardError } from '../../src/errors';
import { dependencyFaultOf } from '../../src/faults/dependency-fault';
import { OAuthError, TokenInvalidError } from '../../src/identity/errors';
import { loadStewardEnv } from '../../src/config/env';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });

test('database outages are named as the database: refused or reset sockets, shutdown and startup states, dropped connections', () => {
  expect(dependencyFaultOf(socketError('ECONNREFUSED'))).toBe('postgres');
  expect(dependencyFaultOf(socketError('ECONNRESET'))).toBe('postgres');
  expect(dependencyFaultOf(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe('postgres');
  expect(dependencyFaultOf(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe('postgres');
  expect(dependencyFaultOf(new Error('Connection terminated unexpectedly'))).toBe('postgres');
  expect(dependencyFaultOf(new Error('timeout exceeded when trying to connect'))).toBe('postgres');
  expect(dependencyFaultOf(Object.assign(new AggregateError([socketError('ECONNREFUSED')], 'all addresses failed')))).toBe('postgres');
});

test("a PII tokenizer failure is an outage only when the database under it is down", () => {
  expect(dependencyFaultOf(new StewardError('TOKENIZER_FAILED', 'the tokenizer failed', { cause: socketError('ECONNREFUSED') }))).toBe('postgres');
  expect(dependencyFaultOf(new StewardError('TOKENIZER_FAILED', 'a token does not open'))).toBeUndefined();
});

test('secret backend, identity provider and JWKS outages are named; their refusals are not outages', () => {
  expect(dependencyFaultOf(new StewardError('SECRET_BACKEND_UNAVAILABLE', 'vault at http://vault is unreachable during read (ECONNREFUSED)'))).toBe('secret_backend');
  expect(dependencyFaultOf(new StewardError('SECRET_DENIED', 'denied'))).toBeUndefined();
  expect(dependencyFaultOf(new StewardError('SECRET_AUTH_FAILED', 'refused'))).toBeUndefined();
  expect(dependencyFaultOf(new OAuthError('network_error', 'token exchange is unreachable'))).toBe('identity_provider');
  expect(dependencyFaultOf(new OAuthError('server_error', 'token exchange answered 503'))).toBe('identity_provider');
  expect(dependencyFaultOf(new OAuthError('temporarily_unavailable', 'try later'))).toBe('identity_provider');
  expect(dependencyFaultOf(new OAuthError('invalid_grant', 'expired'))).toBeUndefined();
  expect(dependencyFaultOf(new TokenInvalidError('jwks_unavailable', "the issuer's JWKS could not be fetched"))).toBe('jwks');
  expect(dependencyFaultOf(new TokenInvalidError('signature_invalid', 'bad signature'))).toBeUndefined();
});

test("a step's own failures are not outages: a tool's wrapped network failure, a model provider error, a bad input", () => {
  expect(dependencyFaultOf(new Error('nodes.call: GET api.example.com failed (TypeError)'))).toBeUndefined();
  expect(dependencyFaultOf(new StewardError('LLM_PROVIDER_ERROR', 'the provider answered 503'))).toBeUndefined();
  expect(dependencyFaultOf(new StewardError('INPUT_INVALID', 'input.amount: must be a number'))).toBeUndefined();
  expect(dependencyFaultOf('ECONNREFUSED')).toBeUndefined();
});

test('STEWARD_DEPENDENCY_WAIT is a duration, one hour by default, and a bad one is refused naming the variable', () => {
  expect(loadStewardEnv({}).STEWARD_DEPENDENCY_WAIT).toBe('1h');
  expect(loadStewardEnv({ STEWARD_DEPENDENCY_WAIT: '30m' }).STEWARD_DEPENDENCY_WAIT).toBe('30m');
  expect(() => loadStewardEnv({ STEWARD_DEPENDENCY_WAIT: 'an hour' })).toThrow(/STEWARD_DEPENDENCY_WAIT: a duration such as 30m/);
});
