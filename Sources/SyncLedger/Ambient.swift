import EventLog
import Foundation
import ServerSideSync
import Synchronization

/// Everything non-deterministic the application reads: the clock and new
/// ids. Injected, so tests and the CLI (`SYNCLEDGER_NOW`) pin them; replay
/// never calls them, because their outcomes are in the events.
///
/// The clock is the *decision* clock (the instant a command is decided at,
/// which the domain shows as approval, test and alert times). The log's
/// `recorded_at` always comes from the system clock. A decision clock other
/// than the system's is accepted only on a simulation ledger, and never ahead
/// of the system clock (see ``SyncLedger/execute(as:source:commandID:correlationID:causationID:at:_:)``).
public struct Ambient: Sendable {
    public var now: @Sendable () -> Date
    public var newID: @Sendable () -> UUID
    /// Whether `now` is the system clock (only ``live`` says so).
    public let isSystemClock: Bool

    public init(now: @escaping @Sendable () -> Date, newID: @escaping @Sendable () -> UUID) {
        self.init(now: now, newID: newID, isSystemClock: false)
    }

    private init(now: @escaping @Sendable () -> Date, newID: @escaping @Sendable () -> UUID, isSystemClock: Bool) {
        self.now = now
        self.newID = newID
        self.isSystemClock = isSystemClock
    }

    /// The system clock and new time-ordered UUIDs (``Foundation/UUID/timeOrdered(at:)``:
    /// random, but sorted by creation, so the log's index of event ids grows at its end).
    public static let live = Ambient(now: { Date() }, newID: { UUID.timeOrdered() }, isSystemClock: true)

    /// A clock stopped at `instant` (ids stay random).
    public static func pinned(at instant: Date) -> Ambient {
        Ambient(now: { instant }, newID: { UUID.timeOrdered() })
    }
}

/// A clock tests and scripts move by hand, with sequential ids
/// (`…000000000001`, `…000000000002`, …).
public final class ManualAmbient: Sendable {
    private let state: Mutex<(now: Date, nextID: Int)>

    public init(at start: Date) { state = Mutex((start, 1)) }

    public var now: Date { state.withLock { $0.now } }
    public func set(_ instant: Date) { state.withLock { $0.now = instant } }
    public func advance(seconds: TimeInterval) { state.withLock { $0.now = $0.now.addingTimeInterval(seconds) } }

    public var ambient: Ambient {
        Ambient(now: { self.now }, newID: {
            let n = self.state.withLock { state -> Int in
                defer { state.nextID += 1 }
                return state.nextID
            }
            return UUID(uuidString: String(format: "00000000-0000-4000-8000-%012x", n))!
        })
    }
}

extension Date {
    /// This instant truncated to whole milliseconds, the precision events keep.
    public var truncatedToMilliseconds: Date {
        Date(timeIntervalSince1970: Double(Timestamp.milliseconds(self)) / 1000)
    }
}

extension SyncLedger {
    /// What the log records when a secret (an OAuth client secret, a profile
    /// password) is set or rotated: a fresh random marker, `set-` and 32 hex
    /// digits. It is not derived from the secret, so nothing in an export can
    /// be guessed back to it; a new marker in a profile's settings shows that
    /// a secret was set, and its event shows when and by whom.
    public static func secretMarker() -> String {
        var generator = SystemRandomNumberGenerator()
        return "set-" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
