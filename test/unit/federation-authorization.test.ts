// The inbound decision, without a server: each check in order, on real certificates and hashed tokens.
import { createCertificateAuthority, issueClientCertificate, type CertificateAuthority } from '../../src/federation/certificate-authority';
import { FederationSettings, type InboundToken } from '../../src/federation/federation-settings';
import { authorizeInboundCall, type InboundCall } from '../../src/federation/inbound-authorization';
import { mintInboundToken } from '../../src/federation/inbound-token';

const now = new Date();
let ca: CertificateAuthority;
let settings: FederationSettings;
let plaintext: string;
let certificate: Buffer;

const der = (pem: string) => Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64');

beforeAll(async () => {
  ca = await createCertificateAuthority('org-a CA');
  const minted = mintInboundToken();
  plaintext = minted.plaintext;
  const token: InboundToken = { id: minted.id, agent: 'buyer-bot', sha256: minted.sha256, scopes: ['a2a:read'], expires_at: new Date(now.getTime() + 60_000).toISOString(), created_at: now.toISOString() };
  settings = FederationSettings.parse({ agents: { quote: {} }, allow: ['buyer-bot'], trusted_cas: [{ name: 'org-a', pem: ca.certPem }], tokens: [token] });
  certificate = der((await issueClientCertificate(ca, 'org-a', 'buyer-bot')).certPem);
});

const call = (overrides: Partial<InboundCall> = {}): InboundCall => ({ agent: 'quote', method: 'tasks/get', peerCertificate: certificate, bearer: plaintext, now, ...overrides });

test('the allowed agent with its certificate and a token holding the scope is admitted', () => {
  expect(authorizeInboundCall(settings, call())).toMatchObject({ ok: true, caller: 'buyer-bot' });
});

test('each failed check gives its own reason', () => {
  const token = settings.tokens[0]!;
  const cases: [FederationSettings | undefined, Partial<InboundCall>, string][] = [
    [undefined, {}, 'agent_not_found'],
    [settings, { agent: 'other' }, 'agent_not_found'],
    [settings, { peerCertificate: undefined }, 'client_certificate_missing'],
    [{ ...settings, trusted_cas: [] }, {}, 'client_certificate_untrusted'],
    [settings, { now: new Date(now.getTime() + 40 * 86_400_000) }, 'client_certificate_expired'],
    [settings, { bearer: undefined }, 'token_missing'],
    [settings, { bearer: `${plaintext.slice(0, -1)}A` }, 'token_invalid'],
    [settings, { bearer: 'not-a-token' }, 'token_invalid'],
    [{ ...settings, tokens: [{ ...token, revoked_at: now.toISOString() }] }, {}, 'token_revoked'],
    [{ ...settings, tokens: [{ ...token, expires_at: now.toISOString() }] }, {}, 'token_expired'],
    [{ ...settings, tokens: [{ ...token, agent: 'other-bot' }] }, {}, 'identity_mismatch'],
    [{ ...settings, allow: [] }, {}, 'agent_not_allowed'],
    [settings, { method: 'message/send' }, 'scope_denied'],
    [{ ...settings, method_scopes: { 'tasks/get': 'quotes:read' } }, {}, 'scope_denied'],
  ];
  for (const [policy, overrides, reason] of cases) expect([reason, authorizeInboundCall(policy, call(overrides))]).toMatchObject([reason, { ok: false, reason }]);
});

test('settings refuse a token stored in the clear and a CA that is not one', () => {
  const token = { ...settings.tokens[0]!, sha256: plaintext };
  expect(FederationSettings.safeParse({ tokens: [token] }).success).toBe(false);
  expect(FederationSettings.safeParse({ trusted_cas: [{ name: 'x', pem: 'not a certificate' }] }).success).toBe(false);
});
