// `send_pii_to_provider: false` (the default): an llm step's prompt reaches the provider with PII masked, both
// values detected in text and fields named by pii_fields. The local model server records what it received.
import { randomUUID } from 'node:crypto';
import { DEV_MODEL_SERVER_KEY } from '../../dev-server/model-server';
import { StewardClient } from '../../src/client';
import { readStackFile } from '../../src/config/stack-file';
import type { TenantId } from '../../src/tenancy/tenant-id';
import { createTestTenant, startTenantWorker, testConfig, writeVaultSecret, type RunningWorker } from '../support/stack';

const config = testConfig();
const stack = readStackFile(config.env.STEWARD_STATE_DIR)!;
let tenant: TenantId;
let worker: RunningWorker;
let client: StewardClient;

beforeAll(async () => {
  tenant = await createTestTenant('prompts');
  await writeVaultSecret(`tenants/${tenant}/llm`, { openai: DEV_MODEL_SERVER_KEY });
  [worker, client] = await Promise.all([startTenantWorker(tenant), StewardClient.connect({ tenant })]);
});
afterAll(async () => {
  await client?.close();
  await worker?.stop();
});

const definition = (sendPii: boolean) => `
id: kyc-summary-${sendPii ? 'raw' : 'masked'}
version: 1
input: { type: object, required: [name, email, ssn, customer_ref] }
data_policy: { pii_fields: ["$.customer_ref"], send_pii_to_provider: ${sendPii} }
secrets: { openai: "vault:secret/data/tenants/${tenant}/llm#openai" }
start: summarise
nodes:
  summarise:
    type: llm
    provider: openai
    model: steward-local
    api_key: "{{ secrets.openai }}"
    prompt: "Check {{ input.name }} ({{ input.email }}), SSN {{ input.ssn }}, customer {{ input.customer_ref }}. Marker {{ input.marker }}"
    next: done
  done: { type: end, output: nodes.summarise.output }
`;

async function recordedPrompt(marker: string): Promise<string> {
  const { requests } = (await (await fetch(`${stack.services.llm!.url}/_recorded`)).json()) as { requests: Array<{ body: unknown }> };
  const hit = requests.map((r) => JSON.stringify(r.body)).find((body) => body.includes(marker));
  if (!hit) throw new Error('the model server never received the prompt');
  return hit;
}

test('by default the provider receives masked PII only, and the answer still comes back', async () => {
  await client.register(definition(false));
  const marker = randomUUID();
  const input = { name: 'Jane Roe', email: 'jane.roe@example.com', ssn: '123-45-6789', customer_ref: 'CUST-998877', marker };
  const run = await client.start({ workflow: 'kyc-summary-masked', input });
  expect(String(await run.result())).toMatch(/^echo: Check/);
  const prompt = await recordedPrompt(marker);
  for (const value of [input.email, input.ssn, input.customer_ref]) expect(prompt).not.toContain(value);
  expect(prompt).toContain('***-**-6789');
  expect(prompt).toContain('@example.com');
});

test('with send_pii_to_provider: true the real values are sent', async () => {
  await client.register(definition(true));
  const marker = randomUUID();
  const run = await client.start({ workflow: 'kyc-summary-raw', input: { name: 'Jane Roe', email: 'jane.roe@example.com', ssn: '123-45-6789', customer_ref: 'CUST-998877', marker } });
  await run.result();
  expect(await recordedPrompt(marker)).toContain('123-45-6789');
});
