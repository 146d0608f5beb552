// The local STS as a process of its own: `node dist/dev-server/sts/main.js --port N [--issuer URL] [--keys-file F]`.
// Logs JSON lines on stdout unless --log-file is given (the stack sends stdout to the STS log); stops on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { DEFAULT_STS_PORT, startSts } from './start-sts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, issuer: { type: 'string' }, 'keys-file': { type: 'string' }, 'log-file': { type: 'string' } },
    strict: true,
  });
  const port = values.port === undefined ? DEFAULT_STS_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a port number, got ${values.port}`);
  const sts = await startSts({
    port,
    ...(values.issuer ? { issuer: values.issuer } : {}),
    ...(values['keys-file'] ? { keysFile: values['keys-file'] } : {}),
    ...(values['log-file'] ? { logFile: values['log-file'] } : { onLogLine: (line: string) => process.stdout.write(line) }),
  });
  const stop = () => {
    sts.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`steward sts: ${(error as Error).message}\n`);
  process.exit(1);
});
