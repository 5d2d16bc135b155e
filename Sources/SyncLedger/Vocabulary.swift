import EventLog
import Projections

// The value types the facade's API speaks in, under the facade's own names,
// so front ends import `SyncLedger` (and the domain's value types) only, and
// never `EventLog` or `Projections`.

/// A position in the log (1-based, gapless).
public typealias Position = EventLog.Position
/// The last event of the log: its position and hash.
public typealias LogHead = EventLog.Head
/// An event as the log recorded it.
public typealias RecordedEvent = EventLog.Recorded
/// The outcome of walking the hash chain.
public typealias VerifyReport = EventLog.Report
/// A trusted point of the chain to start verifying after.
public typealias ChainAnchor = EventLog.Anchor
/// Why the chain breaks at a position.
public typealias ChainBreak = EventLog.Break
/// A signed statement of the log's Merkle tree at one size (C2SP checkpoint note).
public typealias Checkpoint = EventLog.SignedCheckpoint
/// Ed25519 key files for signing checkpoints.
public typealias CheckpointKeyFiles = EventLog.KeyFiles
/// A person's private key for signing commands (Ed25519).
public typealias SigningKey = EventLog.Signing.Key
/// The metadata recorded with every event.
public typealias EventMetadata = Projections.EventMetadata
/// One row of the mailbox grid.
public typealias MailboxStatusRow = Projections.MailboxStatusRow
/// One alert on a wall.
public typealias AlertRow = Projections.AlertRow
/// One row of the audit trail.
public typealias AuditRow = Projections.AuditRow
/// Which audit rows to return.
public typealias AuditFilter = Projections.AuditFilter
/// A field's value before and after an event.
public typealias FieldChange = Projections.FieldChange
/// How one row differs between two cutoffs.
public typealias RowDiff = Projections.RowDiff
/// One step in the history of a grid field.
public typealias FieldHistoryStep = Projections.FieldHistoryStep
/// Where a stored projection stands.
public typealias ProjectionStatus = Projections.ProjectionStatus
/// The first difference between stored read models and the log.
public typealias ProjectionMismatch = Projections.ProjectionMismatch

/// Lower-case hexadecimal text of `bytes` (how hashes are printed and typed).
public func hexString(_ bytes: [UInt8]) -> String { EventLog.hex(bytes) }
