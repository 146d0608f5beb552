// `steward run FILE --input`: every file and input has a size limit, checked before it is read in full.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const folder = mkdtempSync(join(tmpdir(), 'steward-cli-limits-'));

test('a definition FILE that never ends (/dev/zero) is refused at the limit, with exit 2', async () => {
  const cli = await runCli(['run', '/dev/zero', '--tenant', 'limits'], { timeoutMs: 30_000 });
  expect(cli).toMatchObject({ code: 2, stderr: expect.stringContaining('FILE: /dev/zero is larger than the limit of 1000000 bytes') });
});

test('a definition FILE over 1 MB is refused by validate too', async () => {
  const big = join(folder, 'big.yaml');
  writeFileSync(big, `id: big\n# ${'x'.repeat(1_100_000)}\n`);
  const cli = await runCli(['validate', big], { timeoutMs: 30_000 });
  expect(cli).toMatchObject({ code: 2, stderr: expect.stringContaining(`FILE: ${big} is larger than the limit of 1000000 bytes`) });
});

test('an --input file over 1 MB is refused before anything connects, with exit 2', async () => {
  const input = join(folder, 'input.json');
  writeFileSync(input, JSON.stringify({ blob: 'x'.repeat(1_100_000) }));
  const cli = await runCli(['run', 'examples/hello.yaml', '--tenant', 'limits', '--input', `@${input}`], { timeoutMs: 30_000 });
  expect(cli).toMatchObject({ code: 2, stderr: expect.stringContaining(`--input: ${input} is larger than the limit of 1000000 bytes`) });
  const endless = await runCli(['run', 'examples/hello.yaml', '--tenant', 'limits', '--input', '@/dev/zero'], { timeoutMs: 30_000 });
  expect(endless).toMatchObject({ code: 2, stderr: expect.stringContaining('--input: /dev/zero is larger than the limit of 1000000 bytes') });
});
