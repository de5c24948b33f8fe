import type { Database } from 'better-sqlite3'
import { hash52 } from './message-hash.js'

// One SQLite file, WAL mode. Tables:
//   messages     dedupe + audit: one metadata row per accepted message (never a payload)
//   spool        deliveries not yet acknowledged by their target (adapter or notice)
//   quarantine   raw bytes kept for inspection and release (critical flag and alert code for the worklist)
//   originals    originals of forwarded critical alerts (docs/cluster.md, "Ingest")
//   obligations  acknowledgement duties (critical-forward, install-code)
//   obligation_notices  each obligation's notice and its text, written once (migration 15)
//   obligation_events  every obligation status transition (open, notified, overdue, escalated, acknowledged)
//   admin_audit  who did what through the admin API or CLI
//   journal_position  how far the projection has applied the journal (journaled-store.ts)
const MIGRATIONS: string[] = [
  `CREATE TABLE messages (
     message_id TEXT PRIMARY KEY,
     received_at INTEGER NOT NULL,
     response_time INTEGER,
     kind TEXT NOT NULL,
     alert_code TEXT,
     decision TEXT NOT NULL,
     reason TEXT NOT NULL,
     party TEXT,
     to_party TEXT,
     mpxn TEXT,
     supply_start_date TEXT,
     quarantine_id TEXT,
     obligation_id TEXT
   ) WITHOUT ROWID;
   CREATE INDEX messages_received ON messages(received_at);
   CREATE INDEX messages_stale ON messages(party, mpxn) WHERE supply_start_date IS NOT NULL;
   CREATE TABLE spool (
     id INTEGER PRIMARY KEY,
     message_id TEXT NOT NULL,
     target TEXT NOT NULL,
     party TEXT NOT NULL,
     mpxn TEXT,
     content_type TEXT NOT NULL,
     body BLOB NOT NULL,
     headers TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     last_error TEXT,
     obligation_id TEXT
   );
   CREATE INDEX spool_due ON spool(next_attempt_at, id);
   CREATE TABLE quarantine (
     id TEXT PRIMARY KEY,
     message_id TEXT,
     received_at INTEGER NOT NULL,
     reason TEXT NOT NULL,
     detail TEXT,
     kind TEXT,
     party TEXT,
     mpxn TEXT,
     content_type TEXT,
     size INTEGER NOT NULL,
     body BLOB NOT NULL,
     released_at INTEGER,
     released_by TEXT
   ) WITHOUT ROWID;
   CREATE INDEX quarantine_received ON quarantine(received_at);
   CREATE TABLE originals (
     message_id TEXT PRIMARY KEY,
     received_at INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     body BLOB NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE obligations (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     message_id TEXT,
     from_party TEXT,
     to_party TEXT NOT NULL,
     mpxn TEXT,
     alert_code TEXT,
     alert_time INTEGER,
     created_at INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     level INTEGER NOT NULL DEFAULT 0,
     notified_at INTEGER,
     acked_at INTEGER,
     acked_by TEXT,
     notice TEXT NOT NULL,
     text TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX obligations_status ON obligations(status, due_at);
   CREATE TABLE admin_audit (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT
   );`,
  // 2 (docs/obligations.md): obligation history (every status transition, durable and audited) and a subject
  // key so that a registry reload never opens the same install-code obligation twice.
  `ALTER TABLE obligations ADD COLUMN subject TEXT;
   CREATE UNIQUE INDEX obligations_subject ON obligations(subject) WHERE subject IS NOT NULL;
   CREATE TABLE obligation_events (
     id INTEGER PRIMARY KEY,
     obligation_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     status TEXT NOT NULL,
     level INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX obligation_events_obligation ON obligation_events(obligation_id, id);`,
  // 3 (docs/operations.md, "Faults"): per-MPxN delivery order looks up the oldest spool row of a target and MPxN.
  `CREATE INDEX spool_mpxn ON spool(target, mpxn, id);`,
  // 4: a quarantined critical alert is worked first (Managing Critical Alerts guidance: one working
  // day), so the row says whether it is critical and which alert it is; the worklist index serves
  // "critical first, newest first" keyset pages.
  `ALTER TABLE quarantine ADD COLUMN critical INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE quarantine ADD COLUMN alert_code TEXT;
   CREATE INDEX quarantine_worklist ON quarantine(critical DESC, received_at DESC, id DESC);`,
  // 5 (docs/obligations.md): the stale-CoS report counts E4 responses apart and closes a case when a DCC Alert
  // SecurityCredentialsUpdated shows the credentials of a device of the MPxN were replaced (SR 6.23
  // done); the partial index finds those alerts by MPxN. Critical-quarantined obligations link to
  // their quarantine row through obligations.subject (migration 2), so they need no column.
  `ALTER TABLE messages ADD COLUMN response_code TEXT;
   ALTER TABLE messages ADD COLUMN dcc_alert_type TEXT;
   CREATE INDEX messages_credentials ON messages(mpxn, response_time) WHERE dcc_alert_type = 'SecurityCredentialsUpdated';`,
  // 6 (docs/console.md): the console's worklist filtered by reason or by MPxN stays a keyset range scan at
  // 100k rows (without these a rare MPxN walked every row: ~460 ms, bench/results/console.md), and
  // the count by reason and critical reads the index alone.
  `CREATE INDEX quarantine_reason ON quarantine(reason, critical DESC, received_at DESC, id DESC);
   CREATE INDEX quarantine_mpxn ON quarantine(mpxn, critical DESC, received_at DESC, id DESC) WHERE mpxn IS NOT NULL;`,
  // 7 (docs/journal.md): the journaled store's projection. Its
  // position in the journal is committed with the rows it applied; a spool row it wrote for a
  // journal record names that record, so a later `delivered` record finds the row after a restart;
  // rows written outside the journal (notices, releases) are untagged until the gateway loads them.
  `CREATE TABLE journal_position (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
   INSERT INTO journal_position (id, seq) VALUES (1, 0);
   ALTER TABLE spool ADD COLUMN journal_seq INTEGER;
   CREATE INDEX spool_untagged ON spool(id) WHERE journal_seq IS NULL;`,
  // 8 (docs/journal.md, "Projection"): the audit rows in arrival order (a rowid table, so a batch
  // appends to the same few pages) and found by a 52-bit hash of the message ID (an 8-byte index
  // entry) instead of a random TEXT primary key: a batch of random 80-byte keys rewrote a page per
  // row once the table outgrew the batch, measured in bench/results/sqlite-messages.md.
  // The ID is unique by the store's check before each insert (the hash may repeat).
  `CREATE TABLE messages_v8 (
     id INTEGER PRIMARY KEY,
     id_hash INTEGER NOT NULL,
     message_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     response_time INTEGER,
     kind TEXT NOT NULL,
     alert_code TEXT,
     decision TEXT NOT NULL,
     reason TEXT NOT NULL,
     party TEXT,
     to_party TEXT,
     mpxn TEXT,
     supply_start_date TEXT,
     quarantine_id TEXT,
     obligation_id TEXT,
     response_code TEXT,
     dcc_alert_type TEXT
   );
   INSERT INTO messages_v8 (id_hash, message_id, received_at, response_time, kind, alert_code, decision, reason, party, to_party,
       mpxn, supply_start_date, quarantine_id, obligation_id, response_code, dcc_alert_type)
     SELECT dccgw_id_hash(message_id), message_id, received_at, response_time, kind, alert_code, decision, reason, party, to_party,
       mpxn, supply_start_date, quarantine_id, obligation_id, response_code, dcc_alert_type
     FROM messages ORDER BY received_at, message_id;
   DROP TABLE messages;
   ALTER TABLE messages_v8 RENAME TO messages;
   CREATE INDEX messages_id_hash ON messages(id_hash);
   CREATE INDEX messages_received ON messages(received_at);
   CREATE INDEX messages_stale ON messages(party, mpxn) WHERE supply_start_date IS NOT NULL;
   CREATE INDEX messages_credentials ON messages(mpxn, response_time) WHERE dcc_alert_type = 'SecurityCredentialsUpdated';`,
  // 9 (docs/operations.md, the soak): the obligation counts of every /metrics scrape read this index
  // alone, in its order (queries.ts obligationCounts), instead of every row of the table.
  `CREATE INDEX obligations_counts ON obligations(type, status, due_at);`,
  // 10 (docs/performance.md, "What grows with the store"): no index for the stale-CoS report. It cost
  // a random leaf write for every drop and forward (~65% of the rows), and the report did not gain
  // from it: grouping by supply start date needs a temporary B-tree either way, and walking the
  // index fetched its rows in MPxN order, at random, where without it they are read in arrival order.
  `DROP INDEX IF EXISTS messages_stale;`,
  // 11 (docs/journal.md, "Projection"): one index on (received_at, id_hash) instead of one on the
  // hash and one on the time. The hash index took each row's entry at a random leaf: once it
  // outgrew a projection batch, a page of WAL per row (3.6 KB a row at 250k rows, growing;
  // bench/results/sqlite-messages.md). In time order the entries append. A row is found by its
  // receipt time and hash (the dedupe memory keeps the time beside the hash; a quarantine and a
  // delivery know theirs), or, where no time is known, by the hash alone over the whole index.
  `DROP INDEX IF EXISTS messages_id_hash;
   DROP INDEX IF EXISTS messages_received;
   CREATE INDEX messages_received ON messages(received_at, id_hash);`,
  // 12 (docs/journal.md, "One index in time order"): a quarantine row keeps its message's receipt
  // time, so a release finds the audit row by time and hash also when an adapter's refusal (a later
  // time, the row's received_at) put it there. NULL for a 422 (no audit row) and for rows from before.
  `ALTER TABLE quarantine ADD COLUMN message_received_at INTEGER;`,
  // 13 (docs/performance.md, "What fills the WAL"): the kept originals in arrival order. Keyed by the
  // DUIS message ID (random), each 1-2 KB row landed on a random leaf, a page of WAL per row and 28%
  // of all the WAL. A rowid table appends; the time-ordered unique index keeps a record applied
  // twice to one row and makes the age purge a range.
  `CREATE TABLE originals_v13 (
     id INTEGER PRIMARY KEY,
     message_id TEXT NOT NULL,
     received_at INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     body BLOB NOT NULL
   );
   INSERT INTO originals_v13 (message_id, received_at, content_type, body)
     SELECT message_id, received_at, content_type, body FROM originals ORDER BY received_at, message_id;
   DROP TABLE originals;
   ALTER TABLE originals_v13 RENAME TO originals;
   CREATE UNIQUE INDEX originals_received ON originals(received_at, message_id);`,
  // 14 (docs/performance.md, "What fills the WAL"): the obligations as a rowid table. Each row holds
  // its notice and their text (2-3 KB), more than a WITHOUT ROWID table keeps in its leaf (about
  // 1 KB with 4 KB pages), so every row spilled into overflow pages, and every status change wrote
  // the row and its overflow pages again: about 3 pages of WAL per obligation. A rowid table keeps such
  // a row in its leaf; the ID stays the unique key (its own index, time-ordered UUIDs append).
  `CREATE TABLE obligations_v14 (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     status TEXT NOT NULL,
     message_id TEXT,
     from_party TEXT,
     to_party TEXT NOT NULL,
     mpxn TEXT,
     alert_code TEXT,
     alert_time INTEGER,
     created_at INTEGER NOT NULL,
     due_at INTEGER NOT NULL,
     level INTEGER NOT NULL DEFAULT 0,
     notified_at INTEGER,
     acked_at INTEGER,
     acked_by TEXT,
     notice TEXT NOT NULL,
     text TEXT NOT NULL,
     subject TEXT
   );
   INSERT INTO obligations_v14 (id, type, status, message_id, from_party, to_party, mpxn, alert_code, alert_time, created_at, due_at,
       level, notified_at, acked_at, acked_by, notice, text, subject)
     SELECT id, type, status, message_id, from_party, to_party, mpxn, alert_code, alert_time, created_at, due_at,
       level, notified_at, acked_at, acked_by, notice, text, subject
     FROM obligations ORDER BY created_at, id;
   DROP TABLE obligations;
   ALTER TABLE obligations_v14 RENAME TO obligations;
   CREATE INDEX obligations_status ON obligations(status, due_at);
   CREATE UNIQUE INDEX obligations_subject ON obligations(subject) WHERE subject IS NOT NULL;
   CREATE INDEX obligations_counts ON obligations(type, status, due_at);`,
  // 15 (docs/performance.md, "What fills the WAL"): an obligation's notice and its text in a table of
  // their own, written once. The row that changes with every status (notified, escalated,
  // acknowledged) is then ~300 bytes, many to a page, where with its 2-3 KB notice it filled one.
  `CREATE TABLE obligation_notices (
     obligation_id TEXT NOT NULL,
     notice TEXT NOT NULL,
     text TEXT NOT NULL
   );
   INSERT INTO obligation_notices (obligation_id, notice, text) SELECT id, notice, text FROM obligations ORDER BY rowid;
   CREATE UNIQUE INDEX obligation_notices_obligation ON obligation_notices(obligation_id);
   ALTER TABLE obligations DROP COLUMN notice;
   ALTER TABLE obligations DROP COLUMN text;`,
]

/** Applies what `PRAGMA user_version` says is missing, in one transaction each (up to `to`: tests). */
export function migrate(db: Database, to = MIGRATIONS.length): void {
  db.function('dccgw_id_hash', { deterministic: true }, (id: unknown) => hash52(String(id)))
  const current = db.pragma('user_version', { simple: true }) as number
  for (let v = current; v < to; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
}
