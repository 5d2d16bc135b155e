// swift-tools-version: 6.1
import PackageDescription

/// Settings every SyncLedger target shares: Swift 6 language mode plus the
/// upcoming features that make `any` and imports explicit.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "SyncLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "syncledger", targets: ["SyncLedgerCLI"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "SQLite", targets: ["SQLite"]),
        .library(name: "ServerSideSync", targets: ["ServerSideSync"]),
        .library(name: "SyncLedgerTesting", targets: ["SyncLedgerTesting"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "SyncLedger", targets: ["SyncLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .target(name: "SQLite", dependencies: ["CSQLite"], path: "Sources/SQLite", swiftSettings: strict),
        .target(
            name: "EventLog",
            dependencies: ["SQLite", .product(name: "Crypto", package: "swift-crypto")],
            path: "EventLog",
            swiftSettings: strict
        ),
        // The pure domain: Foundation only.
        .target(name: "ServerSideSync", dependencies: [.product(name: "HashTreeCollections", package: "swift-collections")],
                path: "Sources/ServerSideSync", swiftSettings: strict),
        .target(name: "Projections", dependencies: ["EventLog", "SQLite", "ServerSideSync"], path: "Projections", swiftSettings: strict),
        .target(
            name: "SyncLedger",
            dependencies: ["EventLog", "Projections", "ServerSideSync", "SQLite"],
            path: "Sources/SyncLedger",
            swiftSettings: strict
        ),
        .target(name: "SyncLedgerTesting", dependencies: ["ServerSideSync", "SyncLedger"], path: "Sources/SyncLedgerTesting", swiftSettings: strict),
        .executableTarget(
            name: "SyncLedgerCLI",
            // Front ends see the facade and the domain's value types only.
            dependencies: ["SyncLedger", "ServerSideSync", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/SyncLedgerCLI",
            swiftSettings: strict
        ),
        // Benchmark: swift run -c release syncledger-bench
        .executableTarget(name: "syncledger-bench", dependencies: ["SyncLedger", "Projections", "EventLog", "SQLite", "ServerSideSync", .product(name: "Crypto", package: "swift-crypto")], path: "Sources/SyncLedgerBench", swiftSettings: strict),
        // Helper launched by the cross-process tests: appends to a shared log file.
        .executableTarget(name: "eventlog-contender", dependencies: ["EventLog"], path: "Sources/EventLogContender", swiftSettings: strict),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"], path: "Tests/SQLiteTests", swiftSettings: strict),
        .testTarget(name: "ServerSideSyncTests", dependencies: ["ServerSideSync", "SyncLedgerTesting", .product(name: "HashTreeCollections", package: "swift-collections")], path: "Tests/ServerSideSyncTests", swiftSettings: strict),
        .testTarget(name: "ExampleTests", dependencies: ["SyncLedgerTesting", "SyncLedger", "ServerSideSync"], path: "Tests/ExampleTests", swiftSettings: strict),
        .testTarget(name: "SyncLedgerTests", dependencies: ["SyncLedger", "Projections", "EventLog", "SQLite", "ServerSideSync", "SyncLedgerTesting"], path: "Tests/SyncLedgerTests", swiftSettings: strict),
        .testTarget(name: "EndToEndTests", dependencies: ["SyncLedger", "EventLog", "SQLite", .product(name: "Crypto", package: "swift-crypto")], path: "Tests/EndToEndTests", swiftSettings: strict),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "SQLite"], path: "Tests/EventLogTests", swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
