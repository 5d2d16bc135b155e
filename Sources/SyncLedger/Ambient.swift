import Foundation
import Synchronization

/// Everything non-deterministic the application reads: the clock and new
/// ids. Injected, so tests and the CLI (`SYNCLEDGER_NOW`) pin them; replay
/// never calls them, because their outcomes are in the events.
public struct Ambient: Sendable {
    public var now: @Sendable () -> Date
    public var newID: @Sendable () -> UUID

    public init(now: @escaping @Sendable () -> Date, newID: @escaping @Sendable () -> UUID) {
        self.now = now
        self.newID = newID
    }

    /// The system clock and random UUIDs.
    public static let live = Ambient(now: { Date() }, newID: { UUID() })

    /// A clock stopped at `instant` (ids stay random).
    public static func pinned(at instant: Date) -> Ambient {
        Ambient(now: { instant }, newID: { UUID() })
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
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }
}

import Crypto

extension SyncLedger {
    /// A salted fingerprint of a secret for the log: the first 16 hex digits of
    /// SHA-256(salt ‖ ":" ‖ secret). The secret itself never leaves the caller.
    public static func fingerprint(secret: String, salt: String) -> String {
        let digest = SHA256.hash(data: Data("\(salt):\(secret)".utf8))
        return String(digest.map { String(format: "%02x", $0) }.joined().prefix(16))
    }
}
