// Makes the CAs and certificates federation needs on the local stack and in tests: a CA per organisation, a server
// certificate for the federation endpoint, client certificates naming an agent (SAN URI `spiffe://<org>/agent/<id>`).
// Keys are ECDSA P-256, exported as PKCS#8 PEM; nothing here is written to disk.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends IssuedCertificate {
  name: string;
  signingKey: CryptoKey;
}

interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

const serial = () => randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

export async function createCertificateAuthority(name: string, validity: Validity = {}): Promise<CertificateAuthority> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { name, certPem: certificate.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey), signingKey: keys.privateKey };
}

/** A CA kept in files (its certificate and PKCS#8 key, PEM), to issue more certificates with. */
export async function loadCertificateAuthority(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const der = Buffer.from(keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''), 'base64');
  const signingKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
  const name = /CN=([^,\n]+)/.exec(new x509.X509Certificate(certPem).subject)?.[1] ?? 'ca';
  return { name, certPem, keyPem, signingKey };
}

async function issue(ca: CertificateAuthority, subject: string, names: x509.JsonGeneralName[], usage: string, validity: Validity): Promise<IssuedCertificate> {
  const keys = await keyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${subject}`,
    issuer: new x509.X509Certificate(ca.certPem).subject,
    notBefore: validity.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: validity.notAfter ?? new Date(Date.now() + 30 * DAY_MS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await pkcs8Pem(keys.privateKey) };
}

/** A client certificate for `agent` of organisation `org`: SAN URI spiffe://<org>/agent/<agent>, CN <agent>. */
export function issueClientCertificate(ca: CertificateAuthority, org: string, agent: string, validity: Validity = {}): Promise<IssuedCertificate> {
  return issue(ca, agent, [{ type: 'url', value: `spiffe://${org}/agent/${agent}` }], x509.ExtendedKeyUsage.clientAuth, validity);
}

/** A server certificate for the federation endpoint at `hosts` (names or IP addresses). */
export function issueServerCertificate(ca: CertificateAuthority, hosts: readonly string[], validity: Validity = {}): Promise<IssuedCertificate> {
  const names = hosts.map((host): x509.JsonGeneralName => (/^[\d.]+$|:/.test(host) ? { type: 'ip', value: host } : { type: 'dns', value: host }));
  return issue(ca, hosts[0] ?? 'localhost', names, x509.ExtendedKeyUsage.serverAuth, validity);
}
