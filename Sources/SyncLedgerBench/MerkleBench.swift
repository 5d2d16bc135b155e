import EventLog
import Foundation
import SyncLedgerTesting

/// `syncledger-bench merkle`: the Merkle tree's costs on a large log.
func runMerkleBench(events count: Int, keep: String?) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("syncledger-merkle-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = keep ?? folder.appendingPathComponent("merkle.sqlite").path
    let log = try EventLog.open(at: path, options: .init(durability: .normal))
    let data = #"{"mailbox":"contoso-prod/user:user-NNNN@contoso.com","statuses":{"incoming":"Success","outgoing":"Success","act":"Success"},"alerts":[{"level":"Information","text":"Mailbox user-NNNN@contoso.com passed Test & Enable and is enabled for Incoming Email, Outgoing Email, Appointments, Contacts, and Tasks."}],"padding":"\#(String(repeating: "x", count: 420))"}"#
    let metadata = #"{"actor":"sam@contoso.com","command":"mailbox.test-enable","roles":["System Administrator"],"source":"cli","decidedAt":"2025-03-03T09:00:00.000Z"}"#
    var appended = 0
    let appendSeconds = try seconds {
        while appended < count {
            let batch = (0..<min(1_000, count - appended)).map { i in
                NewEvent(id: UUID(), stream: StreamID("mailbox:\((appended + i) % 10_000)"), type: "MailboxTestCompleted",
                         data: data.replacingOccurrences(of: "NNNN", with: String((appended + i) % 10_000)), metadata: metadata)
            }
            try log.append(batch)
            appended += batch.count
        }
    }
    let size = Int64(count)
    var random = SplitMix(state: 7)
    var inclusion: [Double] = [], consistency: [Double] = []
    for _ in 0..<1_000 {
        let position = Int64(random.next() % UInt64(size)) + 1
        inclusion.append(try seconds {
            let (leaf, proof, root) = try log.inclusionProof(of: Position(position), size: size)
            precondition(MerkleTree.verifyInclusion(leaf: leaf, index: position - 1, size: size, proof: proof, root: root))
        })
        let first = Int64(random.next() % UInt64(size)) + 1
        consistency.append(try seconds { _ = try log.consistencyProof(from: first, to: size) })
    }
    let rootSeconds = try seconds { _ = try log.merkleRoot(size: size) }
    let root = try log.merkleRoot(size: size)
    let plain = try seconds { let report = try log.verify(); precondition(report.isIntact) }
    let withTree = try seconds { let report = try log.verify(treeHead: (size, root)); precondition(report.isIntact) }
    let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("appended \(count) events in \(String(format: "%.1f", appendSeconds)) s (\(Int(Double(count) / appendSeconds)) events/s, 1,000 per transaction, NORMAL)")
    print("inclusion proof + check: median \(ms(median(inclusion))) ms, worst \(ms(inclusion.max()!)) ms (1,000 random events)")
    print("consistency proof: median \(ms(median(consistency))) ms, worst \(ms(consistency.max()!)) ms")
    print("root of the whole tree: \(ms(rootSeconds)) ms")
    print("verify: \(String(format: "%.2f", plain)) s; with a tree head: \(String(format: "%.2f", withTree)) s (\(String(format: "%.2f", withTree / plain))×)")
    print(#"{"events":\#(count),"append_per_s":\#(Int(Double(count) / appendSeconds)),"inclusion_median_ms":\#(ms(median(inclusion))),"inclusion_worst_ms":\#(ms(inclusion.max()!)),"consistency_median_ms":\#(ms(median(consistency))),"verify_s":\#(String(format: "%.2f", plain)),"verify_tree_head_s":\#(String(format: "%.2f", withTree)),"file_bytes":\#(bytes)}"#)
}
