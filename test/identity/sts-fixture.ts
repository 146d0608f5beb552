// Starts the local STS in this process for a test file, and offers the demo agents' credentials.
import { mintDevToken, type MintTokenRequest } from '../../dev-server/sts/dev-client';
import { KEY_AGENT_ID, SECRET_AGENT_ID, SECRET_AGENT_SECRET, STEWARD_AUDIENCE } from '../../dev-server/sts/demo-directory';
import { startSts, type RunningSts } from '../../dev-server/sts/start-sts';
import type { ClientAuth } from '../../src/identity';

export interface StsFixture {
  readonly sts: RunningSts;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly jwksUrl: string;
  readonly secretAgent: ClientAuth;
  readonly keyAgent: ClientAuth;
  mint(request: MintTokenRequest): Promise<string>;
  verifyOptions(extra?: { tenant?: string }): { issuer: string; audience: string; jwksUrl: string; tenant?: string };
}

/**
 * Jest runs each test file in its own V8 realm, but Node's `structuredClone` builds objects in the outer realm, and
 * oidc-provider (which clones its static client metadata) accepts only objects whose constructor is this realm's
 * `Object`. A clone made in this realm keeps the STS usable in-process; outside jest nothing of this is needed.
 */
function cloneInThisRealm<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneInThisRealm) as T;
  if (value !== null && typeof value === 'object' && Object.prototype.toString.call(value) === '[object Object]') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cloneInThisRealm(item)])) as T;
  }
  return value;
}
globalThis.structuredClone = ((value: unknown) => cloneInThisRealm(value)) as typeof structuredClone;

/** Registers beforeAll/afterAll hooks; read the fixture's fields inside tests only. */
export function useSts(): StsFixture {
  let sts: RunningSts | undefined;
  beforeAll(async () => {
    // oidc-provider warns about dev-only choices (in-memory store, Node 20) that are deliberate for a local STS.
    const warn = console.warn.bind(console);
    jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
    });
    sts = await startSts({ port: 0 });
  });
  afterAll(async () => {
    await sts?.stop();
  });
  const running = () => {
    if (!sts) throw new Error('the STS is not started yet');
    return sts;
  };
  return {
    get sts() {
      return running();
    },
    get tokenEndpoint() {
      return `${running().issuer}/token`;
    },
    get introspectionEndpoint() {
      return `${running().issuer}/token/introspection`;
    },
    get jwksUrl() {
      return `${running().issuer}/jwks`;
    },
    get secretAgent() {
      return { clientId: SECRET_AGENT_ID, clientSecret: SECRET_AGENT_SECRET };
    },
    get keyAgent() {
      return { clientId: KEY_AGENT_ID, privateKey: running().agentPrivateJwk };
    },
    async mint(request) {
      return (await mintDevToken(running().issuer, request)).accessToken;
    },
    verifyOptions(extra = {}) {
      return { issuer: running().issuer, audience: STEWARD_AUDIENCE, jwksUrl: `${running().issuer}/jwks`, ...extra };
    },
  };
}
