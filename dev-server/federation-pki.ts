// The local stack's federation PKI: a CA for the stack's organisation and a server certificate for its federation
// endpoint on loopback, made once under the state folder (keys mode 0600) and never committed. Callers of the
// local endpoint check its certificate against `federation/ca.pem`.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { createCertificateAuthority, issueServerCertificate } from '../src/federation/certificate-authority';

export interface FederationPki {
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
}

export function federationPkiFiles(stateDir: string): FederationPki {
  const dir = join(stateDir, 'federation');
  return { caFile: join(dir, 'ca.pem'), caKeyFile: join(dir, 'ca-key.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server-key.pem') };
}

export async function ensureFederationPki(stateDir: string): Promise<FederationPki> {
  const files = federationPkiFiles(stateDir);
  if (Object.values(files).every((file) => existsSync(file))) return files;
  mkdirSync(join(stateDir, 'federation'), { recursive: true });
  const ca = await createCertificateAuthority('Steward local stack federation CA');
  const server = await issueServerCertificate(ca, ['127.0.0.1', 'localhost']);
  writeFileSync(files.caFile, ca.certPem);
  writeFileSync(files.caKeyFile, ca.keyPem, { mode: 0o600 });
  writeFileSync(files.certFile, server.certPem);
  writeFileSync(files.keyFile, server.keyPem, { mode: 0o600 });
  return files;
}

/** True when the federation endpoint answers /health over TLS with a certificate from the local CA. */
export function isFederationServerHealthy(url: string, stateDir: string): Promise<boolean> {
  const { caFile } = federationPkiFiles(stateDir);
  if (!existsSync(caFile)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const request = get(`${url}/health`, { ca: readFileSync(caFile, 'utf8'), timeout: 2_000, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}
