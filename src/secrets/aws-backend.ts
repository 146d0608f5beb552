// The AWS Secrets Manager backend: `aws:<name>[#<key>]` reads the secret `<prefix><name>`, where the prefix names
// the running tenant (`steward/{tenant}/` by default), so a reference can never reach another tenant's secrets.
// A secret holding a JSON object is read by key; without a key its whole string is the value. Credentials come
// from the SDK's default chain (environment, profile, instance role).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { StewardError } from '../errors';
import type { SecretReference } from '../ir/secret-reference';
import { assertTenantId } from '../tenancy/tenant-id';
import type { BackendResult, ResolveContext, SecretBackend } from './types';

export interface AwsBackendOptions {
  region: string;
  /** An endpoint other than AWS's own (a VPC endpoint, or a server that speaks the protocol). */
  endpoint?: string;
  /** Must contain {tenant}. */
  prefixTemplate: string;
  timeoutMs: number;
}

const AUTH_FAILURES = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'ExpiredTokenException']);

export function createAwsBackend(options: AwsBackendOptions): SecretBackend {
  const client = new SecretsManagerClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs },
  });
  return {
    name: 'aws',
    async resolve(reference: SecretReference, context: ResolveContext): Promise<BackendResult> {
      if (reference.backend !== 'aws') return { found: false };
      const secretId = `${options.prefixTemplate.replaceAll('{tenant}', assertTenantId(context.tenant))}${reference.name}`;
      let text: string | undefined;
      try {
        text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
      } catch (error) {
        const name = (error as { name?: string }).name ?? 'Error';
        if (name === 'ResourceNotFoundException') return { found: false };
        // Only the error's name: its message can quote the secret's ARN and the account.
        if (AUTH_FAILURES.has(name)) throw new StewardError('SECRET_AUTH_FAILED', `AWS Secrets Manager refused the credentials (${name})`);
        throw new StewardError('SECRET_BACKEND_UNAVAILABLE', `AWS Secrets Manager could not be read (${name})`);
      }
      if (text === undefined) return { found: false };
      if (reference.key === undefined) return { found: true, value: text };
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new StewardError('SECRET_NOT_FOUND', `aws:${reference.name} is not a JSON object, so it has no key ${reference.key}`);
      }
      const value = (document as Record<string, unknown> | null)?.[reference.key];
      return typeof value === 'string' ? { found: true, value } : { found: false };
    },
    close() {
      client.destroy();
    },
  };
}
