import SQLite

extension EventLog {
    /// `PRAGMA application_id` of every SyncLedger file: "SYLG" in ASCII.
    static let applicationID: Int64 = 0x5359_4C47

    /// The text of the append-only triggers, exactly as created; ``verify``
    /// compares `sqlite_master` against it.
    static let triggerSQL: [String: String] = [
        "events_no_update": """
            CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END
            """,
        "events_no_delete": """
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END
            """,
        "events_gapless": """
            CREATE TRIGGER events_gapless BEFORE INSERT ON events
            WHEN NEW.position IS NOT COALESCE((SELECT max(position) FROM events), 0) + 1
            BEGIN SELECT RAISE(ABORT, 'events are gapless: position must follow the head'); END
            """,
        "events_time_monotonic": """
            CREATE TRIGGER events_time_monotonic BEFORE INSERT ON events
            WHEN NEW.recorded_at < (SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1)
            BEGIN SELECT RAISE(ABORT, 'recorded_at must never decrease along positions'); END
            """,
    ]

    /// The triggers that make the ledger's mode a fact of its creation: one
    /// row at most, written before the first event, never changed or removed.
    static let modeTriggerSQL: [String: String] = [
        "ledger_mode_set_once": """
            CREATE TRIGGER ledger_mode_set_once BEFORE INSERT ON ledger_mode
            WHEN (SELECT count(*) FROM ledger_mode) > 0 OR (SELECT count(*) FROM events) > 0
            BEGIN SELECT RAISE(ABORT, 'the ledger mode is set once, when the ledger is created'); END
            """,
        "ledger_mode_no_update": """
            CREATE TRIGGER ledger_mode_no_update BEFORE UPDATE ON ledger_mode
            BEGIN SELECT RAISE(ABORT, 'the ledger mode cannot change'); END
            """,
        "ledger_mode_no_delete": """
            CREATE TRIGGER ledger_mode_no_delete BEFORE DELETE ON ledger_mode
            BEGIN SELECT RAISE(ABORT, 'the ledger mode cannot change'); END
            """,
    ]

    /// The log's schema migrations. Never edit a shipped one; add a new one.
    static let migrator: Migrator = {
        var migrator = Migrator(table: "eventlog_migrations")
        migrator.register("1-events") { db in
            try db.execute("""
                CREATE TABLE events (
                  position       INTEGER PRIMARY KEY,  -- global order, gapless from 1
                  stream_id      TEXT    NOT NULL CHECK (length(stream_id) > 0),
                  stream_version INTEGER NOT NULL CHECK (stream_version >= 1),
                  event_id       TEXT    NOT NULL UNIQUE,  -- lowercase UUID; idempotent retries
                  type           TEXT    NOT NULL CHECK (length(type) > 0),
                  schema_version INTEGER NOT NULL CHECK (schema_version >= 1),
                  data           TEXT    NOT NULL CHECK (json_valid(data)),
                  metadata       TEXT    NOT NULL CHECK (json_valid(metadata)),
                  recorded_at    INTEGER NOT NULL,  -- microseconds since 1970-01-01T00:00:00Z (UTC)
                  previous_hash  BLOB    NOT NULL,
                  hash           BLOB    NOT NULL,  -- SHA-256(previous_hash || canonical bytes)
                  UNIQUE (stream_id, stream_version)
                ) STRICT;
                CREATE INDEX events_by_time ON events(recorded_at, position);
                CREATE VIEW events_readable AS
                  SELECT position, stream_id, stream_version, event_id, type, schema_version,
                         strftime('%Y-%m-%dT%H:%M:%fZ', recorded_at / 1000000.0, 'unixepoch') AS recorded_at_utc,
                         data, metadata, lower(hex(hash)) AS hash_hex
                  FROM events;
                """)
            for name in triggerSQL.keys.sorted() {
                try db.execute(triggerSQL[name]!)
            }
        }
        // The ledger's mode: no row = a real ledger; 'simulation' = created for
        // training and tests, where decision times may be pinned.
        migrator.register("2-ledger-mode") { db in
            try db.execute("CREATE TABLE ledger_mode (mode TEXT NOT NULL CHECK (mode IN ('simulation'))) STRICT")
            for name in modeTriggerSQL.keys.sorted() {
                try db.execute(modeTriggerSQL[name]!)
            }
        }
        // The Merkle tree over the log (MerkleTree): every complete subtree's
        // hash, append-only like the events; filled for the events already there.
        migrator.register("3-merkle-tree") { db in
            try db.execute(legacyMerkleTableSQL)
            for name in legacyMerkleTriggerSQL.keys.sorted() { try db.execute(legacyMerkleTriggerSQL[name]!) }
            let statement = try db.prepare("SELECT \(eventColumns) FROM events ORDER BY position")
            var index: Int64 = 0
            while try statement.step() {
                try db.appendMerkleLeaf(index: index, hash: MerkleTree.leafHash(of: try statement.recordedEvent()), layout: .byLevel)
                index += 1
            }
        }
        // Signed checkpoints the ledger issued (`log checkpoint`), kept beside the log.
        migrator.register("4-checkpoints") { db in
            try db.execute("""
                CREATE TABLE checkpoints (
                  tree_size  INTEGER NOT NULL CHECK (tree_size >= 1),
                  root       BLOB    NOT NULL CHECK (length(root) = 32),
                  note       TEXT    NOT NULL,
                  created_at INTEGER NOT NULL   -- microseconds since 1970 (system clock)
                ) STRICT;
                CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
                BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
                """)
        }
        // The same nodes keyed by their last leaf, then level, so that an
        // append's nodes share one page (MerkleTree); converted, not recomputed.
        migrator.register("5-merkle-by-last-leaf") { db in
            try db.execute("""
                CREATE TABLE merkle_subtrees (
                  last_leaf INTEGER NOT NULL CHECK (last_leaf >= 0),  -- 0-based index of the subtree's last leaf
                  level     INTEGER NOT NULL CHECK (level >= 0),
                  hash      BLOB    NOT NULL CHECK (length(hash) = 32),
                  PRIMARY KEY (last_leaf, level)
                ) STRICT, WITHOUT ROWID;
                INSERT INTO merkle_subtrees(last_leaf, level, hash)
                  SELECT ((idx + 1) << level) - 1, level, hash FROM merkle_nodes ORDER BY ((idx + 1) << level) - 1, level;
                DROP TABLE merkle_nodes;
                """)
            for name in merkleTriggerSQL.keys.sorted() { try db.execute(merkleTriggerSQL[name]!) }
        }
        // The index on recorded_at cost every append a page: times are found
        // by binary search over positions instead (Connection.position(atOrBefore:)).
        migrator.register("6-no-time-index") { db in
            try db.execute("DROP INDEX IF EXISTS events_by_time")
        }
        // Events may store their metadata as a continuation of an earlier
        // event's (MetadataContinuation). No event changes; a SyncLedger that
        // cannot read continuations refuses the file for this migration, and
        // the auditors' view shows every event's metadata in full (`metadata`)
        // beside the stored text (`stored_metadata`).
        migrator.register("7-metadata-continuations") { db in
            try db.execute("""
                DROP VIEW IF EXISTS events_readable;
                CREATE VIEW events_readable AS
                  SELECT e.position, e.stream_id, e.stream_version, e.event_id, e.type, e.schema_version,
                         strftime('%Y-%m-%dT%H:%M:%fZ', e.recorded_at / 1000000.0, 'unixepoch') AS recorded_at_utc,
                         e.data,
                         CASE WHEN e.metadata LIKE '{"continues":%'
                              THEN (SELECT json_remove(f.metadata, '$.\(MetadataContinuation.firstEventOnlyMember)') FROM events AS f
                                    WHERE f.position = e.position - json_extract(e.metadata, '$.continues'))
                              ELSE e.metadata END AS metadata,
                         lower(hex(e.hash)) AS hash_hex,
                         e.metadata AS stored_metadata
                  FROM events AS e;
                """)
        }
        return migrator
    }()

    /// The triggers that keep the Merkle tree's nodes append-only.
    static let merkleTriggerSQL: [String: String] = [
        "merkle_subtrees_no_update": """
            CREATE TRIGGER merkle_subtrees_no_update BEFORE UPDATE ON merkle_subtrees
            BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only: UPDATE is not allowed'); END
            """,
        "merkle_subtrees_no_delete": """
            CREATE TRIGGER merkle_subtrees_no_delete BEFORE DELETE ON merkle_subtrees
            BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only: DELETE is not allowed'); END
            """,
    ]

    /// Migration 3's table: the first layout, keyed by level and index.
    static let legacyMerkleTableSQL = """
        CREATE TABLE merkle_nodes (
          level INTEGER NOT NULL CHECK (level >= 0),
          idx   INTEGER NOT NULL CHECK (idx >= 0),
          hash  BLOB    NOT NULL CHECK (length(hash) = 32),
          PRIMARY KEY (level, idx)
        ) STRICT, WITHOUT ROWID
        """

    /// Migration 3's triggers on the first layout's table (dropped with it by migration 5).
    static let legacyMerkleTriggerSQL: [String: String] = [
        "merkle_nodes_no_update": """
            CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only: UPDATE is not allowed'); END
            """,
        "merkle_nodes_no_delete": """
            CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
            BEGIN SELECT RAISE(ABORT, 'Merkle nodes are append-only: DELETE is not allowed'); END
            """,
    ]
}
