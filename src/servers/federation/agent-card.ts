// The A2A (0.3) agent card of an exposed definition: where to call it, what it accepts (its input schema as the
// skill's description of data), and how callers authenticate: mutual TLS and a bearer token, both required.
import type { z } from 'zod';
import type { ExposedAgent, FederationSettings } from '../../federation/federation-settings';
import { scopeForMethod } from '../../federation/federation-settings';
import type { Definition } from '../../ir/schema';

export function agentCardOf(options: { url: string; definition: Definition; exposure: z.infer<typeof ExposedAgent>; settings: FederationSettings }) {
  const { definition, exposure, settings } = options;
  const description = exposure.description ?? definition.description ?? `Steward agent ${definition.id}`;
  return {
    protocolVersion: '0.3.0',
    name: definition.id,
    description,
    url: options.url,
    preferredTransport: 'JSONRPC',
    version: String(definition.version),
    capabilities: { streaming: false, pushNotifications: false, stateTransitionHistory: false },
    defaultInputModes: ['application/json', 'text/plain'],
    defaultOutputModes: ['application/json', 'text/plain'],
    skills: [
      {
        id: definition.id,
        name: definition.id,
        description,
        tags: ['steward'],
        ...(definition.input ? { inputModes: ['application/json'] } : {}),
      },
    ],
    securitySchemes: {
      mtls: { type: 'mutualTLS', description: 'a client certificate from a CA this tenant trusts, naming the calling agent' },
      bearer: { type: 'http', scheme: 'bearer', description: `scopes: message/send ${scopeForMethod(settings, 'message/send')}, tasks/get ${scopeForMethod(settings, 'tasks/get')}, tasks/cancel ${scopeForMethod(settings, 'tasks/cancel')}` },
    },
    security: [{ mtls: [], bearer: [] }],
  };
}
