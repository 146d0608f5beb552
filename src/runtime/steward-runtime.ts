// What one process shares among the tenants it serves: the validated configuration (parsed once), the application's
// database pool, the Vault session behind every tenant's keys, the PII codecs and the Temporal client connection.
// forTenant() hands out what one tenant's code needs (its namespace, keyring, data converter, Temporal client) and
// nothing of any other tenant's. The worker, the typed client, the codec server, the approvals gateway and the CLI
// all start from one, so a tenant's payloads are sealed the same way wherever they are written or read.
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { Pool } from 'pg';
import { createTenantDataConverter } from '../codec/data-converter';
import type { FailSafeCodecOptions } from '../codec/fail-safe-codec';
import type { ManagedTenantKeyring } from '../codec/keys/keyring';
import { createKeyringFactory, type KeyringFactory } from '../codec/keys/keyring-factory';
import type { PiiView } from '../codec/pii-codec';
import { createPiiCodecFactory, type PiiCodecFactory } from '../codec/pii-codec-factory';
import { loadRuntimeConfig, type RuntimeConfig } from '../config/runtime';
import { assertAppRoleCannotBypassRls } from '../db/app-role';
import { createPool } from '../db/pool';
import { loadConnectionOptions } from '../temporal/connection';
import { assertTenantId, type TenantId } from '../tenancy/tenant-id';
import { findTenant, tenantNotFound, type Tenant } from '../tenancy/tenant-registry';

/** How payloads are shown: as the tenant's own code sees them (the default), or as a viewer of the codec server. */
export interface PayloadViewOptions {
  /** `restore` (the default) gives workflows and activities real values; `mask` and `token` are for viewers. */
  view?: PiiView;
  /** How long restored PII may be cached; 0 when an erasure must show in the very next decode. */
  piiCacheTtlMs?: number;
  /** The most distinct PII values one encode call may tokenize. */
  maxDistinctPiiValues?: number;
  /** The most bytes one decode call may inflate to. */
  maxDecodedBytesPerCall?: number;
  /** Told when a failure could only be encoded redacted, or not at all. */
  onFailureFallback?: FailSafeCodecOptions['onFallback'];
}

/** One tenant's share of the process. */
export interface TenantRuntime {
  readonly tenant: TenantId;
  readonly namespace: string;
  /** The tenant's keys: they encrypt its payloads and seal its users' tokens. */
  readonly keyring: ManagedTenantKeyring;
  /** The application's pool: row-level security keeps every query to the tenant it names. */
  readonly pool: Pool;
  readonly config: RuntimeConfig;
  dataConverter(options?: PayloadViewOptions): DataConverter;
  /** The data converter's codecs, for a server that encodes and decodes payloads on others' behalf. */
  payloadCodecs(options?: PayloadViewOptions): PayloadCodec[];
  /** A Temporal client bound to the tenant's namespace, with its data converter, on the process's connection. */
  temporalClient(): Promise<Client>;
}

export interface StewardRuntimeOptions {
  /** Connections in the application pool. */
  poolSize?: number;
}

export class StewardRuntime {
  private connecting?: Promise<Connection>;
  private readonly tenants = new Map<TenantId, TenantRuntime>();

  private constructor(
    readonly config: RuntimeConfig,
    readonly pool: Pool,
    private readonly keyrings: KeyringFactory,
    private readonly piiCodecs: PiiCodecFactory,
  ) {}

  /**
   * Builds the runtime without touching the network. Checks at once that the PII vault can be keyed; the database
   * role is checked by ready(), which open() awaits.
   */
  static create(config: RuntimeConfig = loadRuntimeConfig(), options: StewardRuntimeOptions = {}): StewardRuntime {
    const pool = createPool(config.appDatabaseUrl, { max: options.poolSize ?? 4 });
    try {
      return new StewardRuntime(config, pool, createKeyringFactory(config, pool), createPiiCodecFactory(config, pool));
    } catch (error) {
      void pool.end();
      throw error;
    }
  }

  /** A runtime whose database role is known not to bypass row-level security. */
  static async open(config?: RuntimeConfig, options: StewardRuntimeOptions = {}): Promise<StewardRuntime> {
    const runtime = StewardRuntime.create(config, options);
    try {
      await runtime.ready();
      return runtime;
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }

  /** Refuses an application role that would bypass row-level security between tenants. */
  ready(): Promise<void> {
    return assertAppRoleCannotBypassRls(this.pool);
  }

  get compressAboveBytes(): number {
    return this.keyrings.compressAboveBytes;
  }

  /** The process's client connection to Temporal, opened on first use. */
  connection(): Promise<Connection> {
    this.connecting ??= Connection.connect(loadConnectionOptions(this.config.localTemporalAddress)).catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  /** The registered tenant's share; TENANT_NOT_FOUND when the registry does not list it (or lists it deleted). */
  async forTenant(id: string): Promise<TenantRuntime> {
    const tenant = assertTenantId(id);
    const known = this.tenants.get(tenant);
    if (known) return known;
    const registered = await findTenant(this.pool, tenant);
    if (!registered) throw tenantNotFound(tenant);
    return this.tenantOf(registered);
  }

  /** The share of a tenant the caller has just read from the registry. */
  tenantOf(registered: Pick<Tenant, 'id' | 'namespace'>): TenantRuntime {
    const known = this.tenants.get(registered.id);
    if (known && known.namespace === registered.namespace) return known;
    const runtime = this.buildTenant(registered.id, registered.namespace);
    this.tenants.set(registered.id, runtime);
    return runtime;
  }

  async close(): Promise<void> {
    this.keyrings.close();
    const connection = await this.connecting?.catch(() => undefined);
    await connection?.close();
    await this.pool.end();
  }

  private buildTenant(tenant: TenantId, namespace: string): TenantRuntime {
    const keyring = this.keyrings.keyringFor(tenant);
    const dataConverter = (options: PayloadViewOptions = {}) =>
      createTenantDataConverter({
        keyring,
        namespace,
        compressAboveBytes: this.keyrings.compressAboveBytes,
        maxDecodedBytesPerCall: options.maxDecodedBytesPerCall,
        piiCodec: this.piiCodecs.codecFor(keyring, namespace, { view: options.view, cacheTtlMs: options.piiCacheTtlMs, maxDistinctValues: options.maxDistinctPiiValues }),
        onFailureFallback: options.onFailureFallback,
      });
    let client: Client | undefined;
    return {
      tenant,
      namespace,
      keyring,
      pool: this.pool,
      config: this.config,
      dataConverter,
      payloadCodecs: (options) => dataConverter(options).payloadCodecs ?? [],
      // When tracing, the interceptor carries the caller's trace into the run it starts, in a start header that holds
      // the trace context only (headers are not encoded); a process that does not trace writes no such header.
      temporalClient: async () =>
        (client ??= new Client({
          connection: await this.connection(),
          namespace,
          dataConverter: dataConverter(),
          interceptors: this.config.traces.otlpEndpoint ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {},
        })),
    };
  }
}
