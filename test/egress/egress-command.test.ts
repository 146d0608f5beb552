// `steward tenant egress`: an operator sets and reads a tenant's egress policy; entries it cannot read are refused
// with the entry named, and nothing is changed.
import { runCli } from '../support/cli';
import { createTestTenant, testConfig, uniqueTenant } from '../support/stack';

test('sets, shows and refuses egress.allow entries', async () => {
  const tenant = await createTestTenant('egress-cli', undefined, { egressAllow: [] });
  expect(await runCli(['tenant', 'egress', tenant])).toMatchObject({ code: 0, stdout: `tenant ${tenant}: egress.allow (none: public addresses only)\n` });
  expect(await runCli(['tenant', 'egress', tenant, '--allow', '127.0.0.1:4030,10.0.0.0/8'])).toMatchObject({
    code: 0,
    stdout: `tenant ${tenant}: egress.allow 127.0.0.1:4030, 10.0.0.0/8\n`,
  });
  const refused = await runCli(['tenant', 'egress', tenant, '--allow', '127.0.0.1:4030,localhost:80']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain("egress.allow[1]: 'localhost:80' is not an address or network");
  expect(JSON.parse((await runCli(['tenant', 'egress', tenant, '--json'])).stdout)).toEqual({ id: tenant, egress: { allow: ['127.0.0.1:4030', '10.0.0.0/8'] } });
});

test('a tenant created on the local stack may reach the demo expenses API, and nothing else local', async () => {
  const tenant = uniqueTenant('egress-seeded');
  expect((await runCli(['tenant', 'create', tenant])).code).toBe(0);
  const port = testConfig().env.STEWARD_EXPENSES_PORT;
  expect(JSON.parse((await runCli(['tenant', 'egress', tenant, '--json'])).stdout)).toEqual({ id: tenant, egress: { allow: [`127.0.0.1:${port}`] } });
});
