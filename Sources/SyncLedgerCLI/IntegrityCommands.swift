import ArgumentParser
import Foundation
import ServerSideSync
import SyncLedger

/// Reads a file given on the command line, or stops with a usage error.
func readTextFile(_ path: String, what: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        try fail(code: "CannotRead", message: "cannot read the \(what) \(path)", status: ExitStatus.usage, json: false)
    }
    return String(decoding: data, as: UTF8.self)
}

/// A public key given as base64 or as a file holding it.
func publicKeyArgument(_ value: String) throws -> String {
    FileManager.default.fileExists(atPath: value) ? try readTextFile(value, what: "public key file").trimmingCharacters(in: .whitespacesAndNewlines) : value
}

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Keys that sign the ledger's checkpoints.",
                                                    subcommands: [Generate.self, Register.self, Enrol.self, SignedMode.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an Ed25519 key pair for signing checkpoints.",
            discussion: "Writes the private key to FILE (created with mode 0600, never overwritten; keep it outside the ledger) and the public key, in base64, to FILE.pub and stdout.")
        @Option(help: ArgumentHelp("Where to write the private key.", valueName: "file")) var out: String
        func run() throws {
            guard !FileManager.default.fileExists(atPath: out), !FileManager.default.fileExists(atPath: out + ".pub") else {
                try fail(code: "AlreadyExists", message: "\(out) or \(out).pub already exists; a key is never overwritten", status: ExitStatus.usage, json: false)
            }
            let (privateFile, publicKey) = SyncLedger.generateCheckpointKey()
            guard FileManager.default.createFile(atPath: out, contents: Data(privateFile.utf8), attributes: [.posixPermissions: 0o600]) else {
                try fail(code: "CannotWrite", message: "cannot write \(out)", status: ExitStatus.cannotOpen, json: false)
            }
            try (publicKey + "\n").write(toFile: out + ".pub", atomically: true, encoding: .utf8)
            print(publicKey)
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a checkpoint key's public half in the ledger (Global admins only).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The key's name in checkpoint signatures (no spaces or '+'), e.g. contoso-audit.") var name: String
        @Option(name: .customLong("public-key"), help: ArgumentHelp("The public key (base64), or a file holding it (FILE.pub).", valueName: "key")) var publicKey: String
        func run() throws {
            let key = try publicKeyArgument(publicKey)
            try perform(store, who) { _ in .registerCheckpointKey(name: name, publicKey: key) }
        }
    }
}

extension KeyCommand {
    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a user's public key for signing commands.",
            discussion: "A Global admin may enrol or replace anyone's key; a user may enrol their own key once, when they have none.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "The user whose key it is.") var user: String
        @Option(name: .customLong("public-key"), help: ArgumentHelp("The public key (base64), or a file holding it (FILE.pub).", valueName: "key")) var publicKey: String
        func run() throws {
            let key = try publicKeyArgument(publicKey)
            try perform(store, who) { _ in .enrolSigningKey(UserPrincipalName(user), publicKey: key) }
        }
    }

    struct SignedMode: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "signed-mode", abstract: "Switch signed mode on or off (Global admins only; audited).",
            discussion: """
                In signed mode every command a person runs must be signed with their enrolled key (--key FILE or SYNCLEDGER_KEY); \
                a command without a valid signature is refused with exit 77 and an audited denial naming the claimed and the \
                proven identity. `log verify` checks every recorded signature.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var who: ActorOptions
        @Argument(help: "on or off.") var state: Switch
        func run() throws { try perform(store, who) { _ in .setSignedMode(state.isOn) } }
    }
}

/// `--public-key`: a key the auditor holds (base64 or a file), instead of the keys the ledger registered.
struct TrustedKey: ParsableArguments {
    @Option(name: .customLong("public-key"),
            help: ArgumentHelp("Check signatures with this public key (base64, or a .pub file) rather than the keys registered in the ledger.", valueName: "key"))
    var publicKey: String?

    func resolved() throws -> String? {
        try publicKey.map(publicKeyArgument)
    }
}

extension LogCommand {
    /// Reads a checkpoint file and checks its signature, or stops (64 unreadable, 76 not signed for this ledger).
    static func trustedCheckpoint(_ path: String, ledger: SyncLedger, key: TrustedKey, json: Bool) throws -> Checkpoint {
        let text = try readTextFile(path, what: "checkpoint")
        let checkpoint = try reportingFailure(json: json) { try SyncLedger.parseCheckpoint(text) }
        let publicKey = try key.resolved()
        switch try reportingFailure(json: json, { try ledger.checkSignature(of: checkpoint, publicKey: publicKey) }) {
        case .valid: return checkpoint
        case .invalid:
            try fail(code: "Tampered", message: "\(path): no signature verifies with \(publicKey == nil ? "the keys registered in the ledger" : "the given public key")",
                     status: ExitStatus.tampered, json: json)
        case .otherLedger(let origin):
            try fail(code: "Tampered", message: "\(path) is a checkpoint of \(origin), not of this ledger", status: ExitStatus.tampered, json: json)
        }
    }

    struct MakeCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "checkpoint", abstract: "Sign the log's Merkle tree at its head and print the checkpoint.",
            discussion: """
                The checkpoint (C2SP tlog-checkpoint note: origin, size, base64 root, a time line, a blank line, the signature) \
                is stored in the ledger and printed; keep its text anywhere. The key's public half must be registered first \
                (`key register`).
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The private key file (`key generate`).", valueName: "file")) var key: String
        @Option(help: ArgumentHelp("The name the key was registered under.", valueName: "name")) var name: String
        func run() throws {
            let keyFile = try readTextFile(key, what: "key file")
            let ledger = try store.open()
            let checkpoint = try reportingFailure(json: store.json) { try ledger.checkpoint(keyFile: keyFile, name: name) }
            if store.json {
                Output.printJSON(["checkpoint": AnyEncodable(checkpoint.text), "size": AnyEncodable(checkpoint.size), "root": AnyEncodable(hexString(checkpoint.root))])
            } else {
                print(checkpoint.text, terminator: "")
            }
        }
    }

    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an inclusion proof ('#N' --checkpoint FILE) or a consistency proof (--from FILE --to FILE).",
            discussion: """
                Proofs follow RFC 9162 (§2.1.3 inclusion, §2.1.4 consistency) over leaf = SHA-256(0x00 ‖ canonical bytes). \
                The checkpoints' signatures are checked first; exit 76 when a signature fails, the ledger's tree differs from a \
                checkpoint, or a proof does not verify.
                """)
        @OptionGroup var store: StoreOptions
        @OptionGroup var key: TrustedKey
        @Argument(help: ArgumentHelp("The event, #N.", valueName: "#N")) var event: String?
        @Option(help: ArgumentHelp("The checkpoint the event is proven in.", valueName: "file")) var checkpoint: String?
        @Option(help: ArgumentHelp("The older checkpoint.", valueName: "file")) var from: String?
        @Option(help: ArgumentHelp("The newer checkpoint.", valueName: "file")) var to: String?

        func validate() throws {
            let inclusion = event != nil || checkpoint != nil, consistency = from != nil || to != nil
            guard inclusion != consistency else { throw ValidationError("either '#N' --checkpoint FILE, or --from FILE --to FILE") }
            if inclusion && (event == nil || checkpoint == nil) { throw ValidationError("an inclusion proof needs '#N' and --checkpoint FILE") }
            if consistency && (from == nil || to == nil) { throw ValidationError("a consistency proof needs --from FILE and --to FILE") }
            if let event {
                let digits = event.hasPrefix("#") ? event.dropFirst() : event[...]
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits), n >= 1 else {
                    throw ValidationError("the event is #N with N ≥ 1")
                }
            }
        }

        func run() throws {
            let ledger = try store.openReadOnly()
            if let event, let checkpoint {
                let n = Int64(event.hasPrefix("#") ? String(event.dropFirst()) : event)!
                let trusted = try LogCommand.trustedCheckpoint(checkpoint, ledger: ledger, key: key, json: store.json)
                guard n <= trusted.size else {
                    try fail(code: "InvalidInput", message: "#\(n) is not in the checkpoint's \(trusted.size) events", status: ExitStatus.usage, json: store.json)
                }
                let proof = try reportingFailure(json: store.json) { try ledger.inclusionProof(of: Position(n), under: trusted) }
                if store.json { Output.printJSON(proof) } else {
                    print("inclusion of #\(n) in the tree of \(proof.treeSize) events")
                    print("leaf \(proof.leafHash)")
                    for (i, hash) in proof.proof.enumerated() { print("proof[\(i)] \(hash)") }
                    print("root \(proof.root)")
                }
                if !proof.matchesCheckpoint || !proof.verifies {
                    try fail(code: "Tampered", message: "the ledger's tree of \(trusted.size) events does not match the checkpoint: the log was rewritten or truncated since",
                             status: ExitStatus.tampered, json: false)
                }
            } else if let from, let to {
                let first = try LogCommand.trustedCheckpoint(from, ledger: ledger, key: key, json: store.json)
                let second = try LogCommand.trustedCheckpoint(to, ledger: ledger, key: key, json: store.json)
                let proof = try reportingFailure(json: store.json) { try ledger.consistencyProof(from: first, to: second) }
                if store.json { Output.printJSON(proof) } else {
                    print("consistency of the tree of \(proof.fromSize) events with the tree of \(proof.toSize) events")
                    for (i, hash) in proof.proof.enumerated() { print("proof[\(i)] \(hash)") }
                }
                if !proof.matchesCheckpoints || !proof.verifies {
                    try fail(code: "Tampered", message: "the checkpoints are not consistent with each other and this ledger: the log was rewritten or truncated between them",
                             status: ExitStatus.tampered, json: false)
                }
            }
        }
    }
}
