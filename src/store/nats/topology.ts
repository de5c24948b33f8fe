import { readFileSync } from 'node:fs'
import { connect, credsAuthenticator, nanos } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream'
import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import type { KV } from '@nats-io/kv'
import type { NatsNames, NatsStoreOptions } from './options.js'
import { natsNames } from './options.js'

export interface Topology {
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  names: NatsNames
  /** messageKey -> decision record (dedupe + metadata audit; TTL dedupe.window) */
  decisions: KV
  /** obligation id -> obligation row */
  obligations: KV
}

/** Connects (to any listed node; the client fails over and reconnects forever). */
export async function connectNats(o: NatsStoreOptions): Promise<NatsConnection> {
  return connect({
    servers: o.servers,
    name: o.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5000,
    ...(o.user !== undefined && { user: o.user, pass: o.pass ?? '' }),
    ...(o.token !== undefined && { token: o.token }),
    ...(o.credentialsFile !== undefined && { authenticator: credsAuthenticator(readFileSync(o.credentialsFile)) }),
  })
}

/**
 * Creates (or checks) every stream, bucket and the shared delivery consumer. Several gateway
 * instances may start at once: creating an identical stream or consumer is idempotent, and an
 * "already in use" answer from a racing peer is settled by reading what exists.
 *
 *   <P>_SPOOL       work queue of deliveries (adapter + notice); Nats-Msg-Id dedupe; R=replicas
 *   <P>_QUARANTINE  one subject per quarantined message: raw bytes + metadata header
 *   <P>_ORIGINALS   originals of forwarded critical alerts (docs/cluster.md, "Ingest")
 *   <P>_AUDIT       admin actions (who released, deleted, acknowledged)
 *   KV <P>_decisions, KV <P>_obligations
 */
export async function ensureTopology(nc: NatsConnection, o: NatsStoreOptions): Promise<Topology> {
  const names = natsNames(o.prefix)
  const js = jetstream(nc, { timeout: o.publishTimeoutMs })
  const jsm = await jetstreamManager(nc, { timeout: o.publishTimeoutMs })
  const common = { storage: StorageType.File, num_replicas: o.replicas, discard: DiscardPolicy.Old }
  await ensureStream(jsm, {
    ...common,
    name: names.spoolStream,
    subjects: [names.spoolSubjects],
    retention: RetentionPolicy.Workqueue,
    // A repeat within dedupe.window is recognised; the decisions bucket below keeps
    // it across a server restart too (the work queue deletes acknowledged messages, and with them
    // the IDs a restarted server could rebuild its duplicate map from).
    duplicate_window: nanos(o.dedupeWindowMs),
    discard: DiscardPolicy.New,
  })
  // Quarantined messages and kept originals: one message per subject (id), kept for the
  // quarantine retention, de-duplicated within the shorter of that and the dedupe window.
  const retained = (name: string, subjects: string) => ({
    ...common,
    name,
    subjects: [subjects],
    max_msgs_per_subject: 1,
    max_age: nanos(o.quarantineRetentionMs),
    duplicate_window: nanos(Math.min(o.dedupeWindowMs, o.quarantineRetentionMs)),
  })
  await ensureStream(jsm, retained(names.quarantineStream, names.quarantineSubjects))
  await ensureStream(jsm, retained(names.originalsStream, names.originalSubjects))
  await ensureStream(jsm, { ...common, name: names.auditStream, subjects: [names.auditSubject] })
  const kvm = new Kvm(js)
  const decisions = await kvm.create(names.decisionsBucket, { replicas: o.replicas, history: 1, ttl: o.dedupeWindowMs, storage: StorageType.File })
  const obligations = await kvm.create(names.obligationsBucket, { replicas: o.replicas, history: 1, storage: StorageType.File })
  await ensureConsumer(jsm, names.spoolStream, {
    durable_name: names.deliveryConsumer,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(o.ackWaitMs),
    deliver_policy: DeliverPolicy.All,
    max_deliver: -1,
    max_ack_pending: o.maxAckPending,
  })
  return { nc, js, jsm, names, decisions, obligations }
}

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.add(cfg)
  } catch (err) {
    // exists with other settings (an older version, or an operator's tuning): keep it, but say so
    const info = await jsm.streams.info(cfg.name).catch(() => undefined)
    if (info === undefined) throw err
    if (info.config.num_replicas !== cfg.num_replicas) {
      throw new Error(`stream ${cfg.name} has ${info.config.num_replicas} replicas, store.nats.replicas says ${cfg.num_replicas}`)
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, cfg: Parameters<JetStreamManager['consumers']['add']>[1]): Promise<void> {
  try {
    await jsm.consumers.add(stream, cfg)
  } catch (err) {
    const info = await jsm.consumers.info(stream, cfg.durable_name!).catch(() => undefined)
    if (info === undefined) throw err
  }
}
