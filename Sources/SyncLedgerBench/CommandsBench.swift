import EventLog
import Foundation
import ServerSideSync
import Synchronization
import SyncLedger

// syncledger-bench commands DB CLIENTS COMMANDS MAILBOXES SYNC
//
// Admin commands through the facade, as a real ledger runs them (system
// clock, random ids, the simulated Exchange): when DB does not exist, a
// tenant, an environment and MAILBOXES approved mailboxes are set up first
// (untimed, NORMAL; with COMMANDS = 0 nothing else runs, so a copy of the
// file can serve many runs); then
// CLIENTS threads of this process run COMMANDS Test & Enable commands in all,
// one mailbox each, round robin, at SYNC. Prints one JSON line with
// commands/s and events/s.

func runCommands(database: String, clients: Int, commands: Int, mailboxes: Int, sync: String) throws {
    let durability: SyncLedger.Durability = try durability(sync) == .full ? .full : .normal
    let admin: UserPrincipalName = "gabriela@contoso.com"
    let environment: EnvironmentID = "contoso-prod"
    let ids = (0..<mailboxes).map { MailboxID(environment: environment, owner: .user(UserPrincipalName("user\($0)@contoso.com"))) }
    if !FileManager.default.fileExists(atPath: database) {
        let setup = try SyncLedger.open(at: database, options: .init(durability: .normal))
        try setup.execute(.createTenant(name: "Contoso", firstGlobalAdmin: admin, displayName: "Gabriela"), as: .user(admin))
        try setup.execute(.provisionEnvironment(ProvisionEnvironment(environment: environment, provisionedOn: Date(), exchangeProfile: "exo")),
                          as: .user(admin))
        for (n, id) in ids.enumerated() {
            let upn = UserPrincipalName("user\(n)@contoso.com")
            try setup.execute(.addUser(upn, displayName: "User \(n)", environment: environment), as: .user(admin))
            try setup.execute(.addExchangeMailbox(EmailAddress(upn.rawValue), syncOrg: nil), as: .user(admin))
            try setup.execute(.approveEmail(id), as: .user(admin))
        }
    }
    guard commands > 0 else {
        print(#"{"impl":"sw","test":"commands-setup","mailboxes":\#(mailboxes)}"#)
        return
    }
    let ledger = try SyncLedger.open(at: database, options: .init(durability: durability))
    let start = try ledger.head().position.rawValue
    let counters = Counters()
    let mailboxIDs = ids
    let elapsed = seconds {
        let done = DispatchGroup()
        for _ in 0..<clients {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                while true {
                    let n = counters.next.add(1, ordering: .relaxed).oldValue
                    guard n < commands else { return }
                    do {
                        try ledger.execute(.testAndEnable([mailboxIDs[n % mailboxIDs.count]], TestOptions()), as: .user(admin))
                    } catch {
                        if counters.failures.add(1, ordering: .relaxed).oldValue == 0 {
                            FileHandle.standardError.write(Data("syncledger-bench commands: \(error)\n".utf8))
                        }
                    }
                }
            }
        }
        done.wait()
    }
    let failures = counters.failures.load(ordering: .relaxed)
    let events = Int(try ledger.head().position.rawValue - start)
    print(#"{"impl":"sw","test":"commands","clients":\#(clients),"sync":"\#(sync.uppercased())","mailboxes":\#(mailboxes),"#
        + #""commands":\#(commands),"failures":\#(failures),"events":\#(events),"#
        + #""seconds":\#(String(format: "%.4f", elapsed)),"commands_per_s":\#(rate(commands, elapsed)),"events_per_s":\#(rate(events, elapsed))}"#)
    if failures > 0 { exit(2) }
}

/// The next command to run and the failures so far, shared by the client threads.
final class Counters: Sendable {
    let next = Atomic(0)
    let failures = Atomic(0)
}
