import { isAbsolute, resolve, dirname } from 'node:path'

/** What the clustered store needs, resolved from `store.nats` plus a few other sections. */
export interface NatsStoreOptions {
  /** every node of the cluster, e.g. nats://nats-1:4222 */
  servers: string[]
  credentialsFile?: string
  user?: string
  pass?: string
  token?: string
  /** stream / bucket / consumer names start with it (DCCGW_SPOOL, DCCGW_decisions, …) */
  prefix: string
  /** 3 in a cluster (survives one node), 1 on a single server */
  replicas: number
  /** dedupe.window: the JetStream duplicate window and the decisions bucket's TTL */
  dedupeWindowMs: number
  quarantineRetentionMs: number
  /** a delivery held this long without ack (or `working`) goes to another instance */
  ackWaitMs: number
  maxAckPending: number
  publishTimeoutMs: number
  /** deliveries this instance leases at once (delivery.concurrency) */
  concurrency: number
  /** connection name shown by the server (`nats server report connections`) */
  name: string
}

export interface NatsConfigSection {
  servers: readonly string[]
  credentialsFile: string
  user: string
  pass: string
  token: string
  prefix: string
  replicas: number
  ackWaitMs: number
  maxAckPending: number
  publishTimeoutMs: number
}

/** From the resolved config; relative credential paths are relative to the config file. */
export function natsOptionsFrom(
  n: NatsConfigSection,
  other: { configFile: string; dedupeWindowMs: number; quarantineRetentionDays: number; concurrency: number },
): NatsStoreOptions {
  const base = other.configFile.startsWith('<') ? process.cwd() : dirname(other.configFile)
  const creds = n.credentialsFile === '' ? undefined : isAbsolute(n.credentialsFile) ? n.credentialsFile : resolve(base, n.credentialsFile)
  return {
    servers: [...n.servers],
    ...(creds !== undefined && { credentialsFile: creds }),
    ...(n.user !== '' && { user: n.user, pass: n.pass }),
    ...(n.token !== '' && { token: n.token }),
    prefix: n.prefix,
    replicas: n.replicas,
    dedupeWindowMs: other.dedupeWindowMs,
    quarantineRetentionMs: other.quarantineRetentionDays * 86_400_000,
    ackWaitMs: n.ackWaitMs,
    maxAckPending: n.maxAckPending,
    publishTimeoutMs: n.publishTimeoutMs,
    concurrency: other.concurrency,
    name: `dcc-alert-gateway pid ${process.pid}`,
  }
}

/** Stream, bucket, consumer and subject names derived from the prefix. */
export function natsNames(prefix: string) {
  const s = prefix.toLowerCase()
  return {
    spoolStream: `${prefix}_SPOOL`,
    quarantineStream: `${prefix}_QUARANTINE`,
    originalsStream: `${prefix}_ORIGINALS`,
    auditStream: `${prefix}_AUDIT`,
    decisionsBucket: `${prefix}_decisions`,
    obligationsBucket: `${prefix}_obligations`,
    deliveryConsumer: `${prefix}_delivery`,
    spoolSubject: (target: 'adapter' | 'notice') => `${s}.spool.${target}`,
    spoolSubjects: `${s}.spool.>`,
    quarantineSubject: (id: string) => `${s}.quarantine.${id}`,
    quarantineSubjects: `${s}.quarantine.>`,
    originalSubject: (key: string) => `${s}.original.${key}`,
    originalSubjects: `${s}.original.>`,
    auditSubject: `${s}.audit.admin`,
  }
}
export type NatsNames = ReturnType<typeof natsNames>
