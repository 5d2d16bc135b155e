import Foundation
import SQLite

/// A point of the chain an auditor trusts: a position and the hash recorded
/// there (kept outside the file, e.g. from an earlier verify).
public struct ChainAnchor: Hashable, Sendable {
    public var position: Position
    public var hash: [UInt8]
    public init(position: Position, hash: [UInt8]) {
        self.position = position
        self.hash = hash
    }
}

/// What is wrong at the first broken position.
public enum ChainBreak: Hashable, Sendable, CustomStringConvertible {
    /// The stored hash is not SHA-256 of the previous hash and the event's bytes:
    /// the event's content was changed.
    case hashMismatch
    /// The stored previous hash differs from the hash of the event before it.
    case previousHashMismatch
    /// An event is missing: the next row found has a later position.
    case missingPosition(found: Position)
    /// The recorded-at instant is earlier than the previous event's.
    case timeWentBackwards
    /// The data or metadata is not valid JSON.
    case malformedJSON(column: String)
    /// The stream version does not follow the stream's previous event.
    case streamVersionGap(stream: StreamID, expected: StreamVersion, found: StreamVersion)
    /// An append-only trigger is missing or altered (reported at position 0).
    case missingTrigger(name: String)
    /// The anchor's position is not in the log, or its hash differs.
    case anchorMismatch
    /// The head differs from the expected head: the log was truncated,
    /// extended or rewritten since the head was taken.
    case headMismatch(found: LogHead)
    /// The row could not be read at all (e.g. a malformed event id).
    case unreadable(reason: String)
    /// The log is shorter than a signed checkpoint says it was: its tail was
    /// removed (reported at the head).
    case checkpointBeyondHead(size: Int64)
    /// The first `size` events do not hash to the checkpoint's Merkle root:
    /// something up to that position was rewritten, even though the chain
    /// may have been recomputed to hide it (reported at `size`).
    case checkpointRootMismatch(size: Int64)
    /// The Merkle nodes stored in the file disagree with the events (proofs
    /// served from them would not verify).
    case storedTreeMismatch
    /// A command's recorded signature does not check out, or a command of
    /// signed mode carries none.
    case commandSignature(reason: String)
    /// The metadata is stored as a continuation (``MetadataContinuation``)
    /// of another event than the last earlier one stored in full.
    case misplacedContinuation

    public var description: String {
        switch self {
        case .hashMismatch: "its hash does not match its content (the event was altered)"
        case .previousHashMismatch: "its previous-hash does not match the event before it"
        case .missingPosition(let found): "the event is missing (the next event found is at \(found))"
        case .timeWentBackwards: "its recorded-at instant is earlier than the previous event's"
        case .malformedJSON(let column): "its \(column) is not valid JSON"
        case .streamVersionGap(let stream, let expected, let found): "stream \(stream) jumps to \(found), expected \(expected)"
        case .missingTrigger(let name): "the append-only trigger \(name) is missing or altered"
        case .anchorMismatch: "the trusted anchor is not in the log as given"
        case .headMismatch(let found): "the head is \(found.position) \(hexString(found.hash)), not the expected one"
        case .unreadable(let reason): "the row cannot be read: \(reason)"
        case .checkpointBeyondHead(let size): "the log ends before the checkpoint's \(size) events: its tail was removed"
        case .checkpointRootMismatch(let size): "the first \(size) events do not hash to the checkpoint's Merkle root: an event up to #\(size) was rewritten (and the chain recomputed)"
        case .storedTreeMismatch: "the Merkle nodes stored in the file do not match the events"
        case .commandSignature(let reason): "its command signature \(reason)"
        case .misplacedContinuation: "its metadata continues another event than the last earlier one whose metadata is stored in full"
        }
    }
}

/// The outcome of ``EventLog/verify(from:expectingHead:progress:)``.
public enum VerifyReport: Hashable, Sendable, CustomStringConvertible {
    /// Every event checked out.
    case intact(events: Int64, head: LogHead)
    /// The first position that is wrong, and why.
    case broken(at: Position, reason: ChainBreak)

    /// Whether the log checked out.
    public var isIntact: Bool { if case .intact = self { true } else { false } }

    public var description: String {
        switch self {
        case .intact(let count, let head):
            "intact: \(count) events, head \(head.position) hash \(hexString(head.hash))"
        case .broken(let position, let reason):
            "broken at \(position): \(reason)"
        }
    }
}

extension EventLog {
    /// Walks the hash chain and reports the first position that is wrong.
    ///
    /// Checks, for every event in position order: the position follows the
    /// previous one; the stored previous hash equals the previous event's
    /// hash; the hash equals SHA-256 of the previous hash and the event's
    /// canonical bytes (``HashChain``); recorded-at never decreases; data and
    /// metadata are valid JSON; the stream version follows the stream's
    /// previous event. After the walk it checks that the append-only triggers
    /// exist exactly as created (reported at position 0).
    ///
    /// - Parameters:
    ///   - anchor: A trusted earlier point; the walk starts after it instead of
    ///     at position 1 (stream-version checks then cover only later events).
    ///   - expectingHead: A head recorded earlier outside the file; the log must
    ///     end exactly there (detects truncation and wholesale rewrites).
    ///   - progress: Called with each page's last position.
    ///   - treeHead: A signed checkpoint's tree size and Merkle root: every leaf
    ///     is recomputed from the events (not from the stored nodes) and the
    ///     first `size` must hash to `root`; the log must be at least that long;
    ///     and the stored tree must match the events at the head. Not with `anchor`.
    public func verify(from anchor: ChainAnchor? = nil, expectingHead: LogHead? = nil, treeHead: (size: Int64, root: [UInt8])? = nil,
                       progress: ((Position) -> Void)? = nil) throws -> VerifyReport {
        var frontier = MerkleTree.Frontier()
        let trackTree = treeHead != nil && anchor == nil
        var expectedPosition = Position.origin
        var previousHash = HashChain.genesis
        var previousTime = Int64.min
        if let anchor {
            guard let row = try read({ try $0.page(after: Position(anchor.position.rawValue - 1), through: anchor.position, limit: 1) }).first,
                  row.position == anchor.position, row.hash == anchor.hash else {
                return .broken(at: anchor.position, reason: .anchorMismatch)
            }
            expectedPosition = anchor.position
            previousHash = anchor.hash
            previousTime = row.recordedAtMicroseconds
        }
        var streamVersions: [StreamID: StreamVersion] = [:]
        var lastInFull: Position?   // unknown after an anchor until an event in full is met
        var count: Int64 = 0
        var lastHead = LogHead(position: expectedPosition, hash: previousHash, recordedAtMicroseconds: anchor == nil ? nil : previousTime)
        while true {
            let cursor = expectedPosition
            let page = try read { try $0.verifyPage(after: cursor, limit: Self.defaultPageSize) }
            if page.rows.isEmpty && page.unreadable == nil { break }
            for row in page.rows {
                let event: RecordedEvent
                switch row.event {
                case .success(let decoded): event = decoded
                case .failure(let error): return .broken(at: row.position, reason: .unreadable(reason: error.message))
                }
                expectedPosition = expectedPosition.next
                if event.position != expectedPosition {
                    return .broken(at: expectedPosition, reason: .missingPosition(found: event.position))
                }
                if event.previousHash != previousHash { return .broken(at: event.position, reason: .previousHashMismatch) }
                let canonical = HashChain.canonicalBytes(
                    position: event.position, stream: event.stream, streamVersion: event.streamVersion, id: event.id, type: event.type,
                    schemaVersion: event.schemaVersion, data: event.data, metadata: event.storedMetadata, recordedAtMicroseconds: event.recordedAtMicroseconds)
                if HashChain.hash(previous: event.previousHash, canonical: canonical) != event.hash { return .broken(at: event.position, reason: .hashMismatch) }
                if trackTree {
                    frontier.append(MerkleTree.leafHash(canonical))
                    if let treeHead, frontier.size == treeHead.size, frontier.root != treeHead.root {
                        return .broken(at: event.position, reason: .checkpointRootMismatch(size: treeHead.size))
                    }
                }
                if event.recordedAtMicroseconds < previousTime { return .broken(at: event.position, reason: .timeWentBackwards) }
                if !row.dataIsJSON { return .broken(at: event.position, reason: .malformedJSON(column: "data")) }
                if !row.metadataIsJSON { return .broken(at: event.position, reason: .malformedJSON(column: "metadata")) }
                if let offset = MetadataContinuation.offset(in: event.storedMetadata) {
                    if (lastInFull != nil || anchor == nil) && lastInFull?.rawValue != event.position.rawValue - Int64(offset) {
                        return .broken(at: event.position, reason: .misplacedContinuation)
                    }
                } else {
                    lastInFull = event.position
                }
                if anchor == nil || streamVersions[event.stream] != nil {
                    let expectedVersion = (streamVersions[event.stream] ?? .none).next
                    if event.streamVersion != expectedVersion {
                        return .broken(at: event.position, reason: .streamVersionGap(stream: event.stream, expected: expectedVersion, found: event.streamVersion))
                    }
                }
                streamVersions[event.stream] = event.streamVersion
                previousHash = event.hash
                previousTime = event.recordedAtMicroseconds
                count += 1
                lastHead = LogHead(position: event.position, hash: event.hash, recordedAtMicroseconds: event.recordedAtMicroseconds)
            }
            // SQLite could not step past a damaged page: the first position not read is the one named.
            if let error = page.unreadable { return .broken(at: expectedPosition.next, reason: .unreadable(reason: error.message)) }
            progress?(expectedPosition)
        }
        // The chain is sound; now check nothing lets the next change slip in.
        for (name, sql) in Self.triggerSQL.merging(Self.modeTriggerSQL, uniquingKeysWith: { a, _ in a }).merging(Self.merkleTriggerSQL, uniquingKeysWith: { a, _ in a }).sorted(by: { $0.key < $1.key }) {
            let stored = try read { try $0.scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", .text(name))?.string }
            if stored != sql { return .broken(at: .origin, reason: .missingTrigger(name: name)) }
        }
        if let expectingHead, expectingHead.position != lastHead.position || expectingHead.hash != lastHead.hash {
            return .broken(at: lastHead.position, reason: .headMismatch(found: lastHead))
        }
        if let treeHead, trackTree {
            if treeHead.size > lastHead.position.rawValue { return .broken(at: lastHead.position, reason: .checkpointBeyondHead(size: treeHead.size)) }
            if treeHead.size == 0 && treeHead.root != MerkleTree.emptyRoot { return .broken(at: .origin, reason: .checkpointRootMismatch(size: 0)) }
            let stored = try read { db in try MerkleTree.root(size: lastHead.position.rawValue) { try db.merkleNode(level: $0, index: $1) } }
            if stored != frontier.root { return .broken(at: lastHead.position, reason: .storedTreeMismatch) }
        }
        return .intact(events: count, head: lastHead)
    }
}

/// One row as verify reads it: its position, the event (or why it could not
/// be decoded), and SQLite's JSON verdicts.
struct VerifyRow {
    var position: Position
    var event: Result<RecordedEvent, SQLiteError>
    var dataIsJSON: Bool
    var metadataIsJSON: Bool
}

/// A page of rows, and the error that stopped SQLite stepping further (a
/// damaged database page), if any.
struct VerifyPage {
    var rows: [VerifyRow] = []
    var unreadable: SQLiteError?
}

extension Connection {
    /// Reads up to `limit` rows after `after`. A row that cannot be decoded is
    /// returned as a failure at its own position; an error while stepping ends
    /// the page with the rows read so far, so verify names the exact position.
    func verifyPage(after: Position, limit: Int) throws(SQLiteError) -> VerifyPage {
        let statement = try statement("""
            SELECT \(eventColumns), json_valid(data), json_valid(metadata)
            FROM events WHERE position > ? ORDER BY position LIMIT ?
            """)
        defer { statement.reset() }
        try statement.bind([.integer(after.rawValue), .int(limit)])
        var page = VerifyPage()
        while true {
            do {
                guard try statement.step() else { break }
            } catch {
                page.unreadable = error
                break
            }
            let event: Result<RecordedEvent, SQLiteError>
            do { event = .success(try statement.recordedEvent()) } catch { event = .failure(error) }
            page.rows.append(VerifyRow(position: Position(statement.int64(at: 0)), event: event,
                                       dataIsJSON: statement.int64(at: 11) == 1, metadataIsJSON: statement.int64(at: 12) == 1))
        }
        return page
    }
}
