/// Who may approve a mailbox's email address: the permission matrix of the
/// documentation (current version), as one table.
///
/// Rows are the deployment of the customer engagement apps × the kind of
/// Exchange behind the mailbox's profile. Columns are role combinations.
///
/// | Deployment | GA + SA | EA + SA | DMA + SA | SA alone | Service admin | EA alone | GA alone |
/// |---|---|---|---|---|---|---|---|
/// | online + Exchange Online | Yes | Yes | Yes (9.2.22104.00170+) | No | No | No | No |
/// | online + Exchange on-premises | n/a | n/a | n/a | Yes | No | n/a | n/a |
/// | on-premises + Exchange Online | n/a | n/a | n/a | Yes | n/a | n/a | n/a |
/// | on-premises + Exchange on-premises | n/a | n/a | n/a | Yes | n/a | n/a | n/a |
///
/// How an actor is matched: roles add up. Every column names the roles a
/// person holds *at least* ("alone" means "this role, without the others of
/// the Yes columns", not "and no other role"), so a column matches when the
/// actor holds all of its roles, and the actor may approve when some matching
/// column says Yes. Holding more roles never takes a right away: Global admin
/// alone is No but Global admin + System admin is Yes on the Exchange Online
/// row, and a Service admin who is also System admin may approve on the
/// Exchange on-premises row through the "System admin alone" column (the
/// domain notes, B7, say so explicitly; no cell says otherwise). A No or n/a
/// cell therefore never refuses by itself: refusal means no Yes column is
/// covered. The approval privilege (§5.1) is checked separately.
///
/// SyncLedger's choices where the table is silent: a profile that is not
/// Exchange (POP3/SMTP, IMAP/SMTP) uses the Exchange on-premises row, since
/// no Microsoft 365 admin is involved; a mailbox without a profile uses the
/// Exchange Online row, the strictest.
public enum PermissionMatrix {
    /// A column of the matrix: a combination of roles.
    public enum Column: String, Hashable, Sendable, CaseIterable {
        case globalAdminAndSystemAdmin = "Global admin + System admin"
        case exchangeAdminAndSystemAdmin = "Exchange admin + System admin"
        case delegatedApproverAndSystemAdmin = "Delegated Mailbox Approver + System admin"
        case systemAdminAlone = "System admin alone"
        case serviceAdmin = "Service admin"
        case exchangeAdminAlone = "Exchange admin alone"
        case globalAdminAlone = "Global admin alone"

        /// The roles of the combination.
        var roles: Set<MatrixRole> {
            switch self {
            case .globalAdminAndSystemAdmin: [.globalAdmin, .systemAdmin]
            case .exchangeAdminAndSystemAdmin: [.exchangeAdmin, .systemAdmin]
            case .delegatedApproverAndSystemAdmin: [.delegatedApprover, .systemAdmin]
            case .systemAdminAlone: [.systemAdmin]
            case .serviceAdmin: [.serviceAdmin]
            case .exchangeAdminAlone: [.exchangeAdmin]
            case .globalAdminAlone: [.globalAdmin]
            }
        }

        /// Whether the column means "this role and nothing else that counts".
        var isAlone: Bool { roles.count == 1 }
    }

    /// A cell of the matrix.
    public enum Cell: Hashable, Sendable {
        case yes
        /// Yes from this version on (the Delegated Mailbox Approver role).
        case yesFrom(DynamicsVersion)
        case no
        case notApplicable
    }

    /// A row of the matrix.
    public struct Row: Hashable, Sendable {
        public var deployment: Deployment
        public var exchange: ExchangeKind
    }

    /// The roles the matrix talks about.
    enum MatrixRole: Hashable, Sendable {
        case globalAdmin, exchangeAdmin, delegatedApprover, serviceAdmin, systemAdmin
    }

    /// The table, row by row, columns in ``Column/allCases`` order.
    static let table: [Row: [Column: Cell]] = {
        let columns = Column.allCases
        func row(_ cells: [Cell]) -> [Column: Cell] { Dictionary(uniqueKeysWithValues: zip(columns, cells)) }
        let na = Cell.notApplicable
        return [
            Row(deployment: .online, exchange: .exchangeOnline):
                row([.yes, .yes, .yesFrom(.delegatedMailboxApprover), .no, .no, .no, .no]),
            Row(deployment: .online, exchange: .exchangeOnPremises):
                row([na, na, na, .yes, .no, na, na]),
            Row(deployment: .onPremises, exchange: .exchangeOnline):
                row([na, na, na, .yes, na, na, na]),
            Row(deployment: .onPremises, exchange: .exchangeOnPremises):
                row([na, na, na, .yes, na, na, na]),
        ]
    }()

    /// The cell at `row` and `column`.
    public static func cell(_ row: Row, _ column: Column) -> Cell {
        table[row]![column]!
    }

    /// The row for an environment's deployment and a mailbox's Exchange kind.
    public static func row(deployment: Deployment, exchange: ExchangeKind) -> Row {
        Row(deployment: deployment, exchange: exchange == .exchangeOnline ? .exchangeOnline : .exchangeOnPremises)
    }

    /// The verdict for an actor holding `authority` at `row` in an environment of `version`.
    public enum Verdict: Hashable, Sendable {
        case allowed(by: Column)
        /// Only a Delegated Mailbox Approver column matched, and the version is too old.
        case needsVersion(DynamicsVersion)
        case refused
    }

    /// The matrix's roles `authority` holds.
    static func roles(of authority: Authority) -> Set<MatrixRole> {
        var held: Set<MatrixRole> = []
        if authority.holds(.globalAdmin) { held.insert(.globalAdmin) }
        if authority.holds(.exchangeAdmin) { held.insert(.exchangeAdmin) }
        if authority.holds(.serviceAdmin) { held.insert(.serviceAdmin) }
        if authority.isSystemAdministrator { held.insert(.systemAdmin) }
        if authority.holds(.delegatedMailboxApprover) { held.insert(.delegatedApprover) }
        return held
    }

    /// Decides whether `authority` may approve at `row`: allowed by the first
    /// Yes column (in table order) whose roles it holds at least.
    public static func verdict(for authority: Authority, at row: Row, version: DynamicsVersion) -> Verdict {
        let held = roles(of: authority)
        let cells = table[row]!
        var gatedBy: DynamicsVersion?
        for column in Column.allCases where column.roles.isSubset(of: held) {
            switch cells[column]! {
            case .yes: return .allowed(by: column)
            case .yesFrom(let minimum):
                if version >= minimum { return .allowed(by: column) }
                gatedBy = minimum
            case .no, .notApplicable: continue
            }
        }
        if let gatedBy { return .needsVersion(gatedBy) }
        return .refused
    }

    /// What would let `authority` approve at `row`, in words a person can act
    /// on: each Yes column of the row (usable at `version`) with the roles the
    /// actor still lacks, fewest missing first — e.g. "Global admin + System
    /// Administrator (add System Administrator)".
    public static func remedy(for authority: Authority, at row: Row, version: DynamicsVersion) -> String {
        let held = roles(of: authority)
        let cells = table[row]!
        let options = Column.allCases.compactMap { column -> (Column, [MatrixRole])? in
            switch cells[column]! {
            case .yes: break
            case .yesFrom(let minimum) where version >= minimum: break
            default: return nil
            }
            return (column, MatrixRole.allCases.filter { column.roles.contains($0) && !held.contains($0) })
        }.sorted { ($0.1.count, Column.allCases.firstIndex(of: $0.0)!) < ($1.1.count, Column.allCases.firstIndex(of: $1.0)!) }
        guard !options.isEmpty else { return "no combination of roles may approve here" }
        let phrases = options.map { column, missing in
            let combination = MatrixRole.allCases.filter(column.roles.contains).map(\.label).joined(separator: " + ")
            return missing.isEmpty ? combination : "\(combination) (add \(missing.map(\.label).joined(separator: " and ")))"
        }
        return "it needs " + (phrases.count == 1 ? phrases[0] : phrases.dropLast().joined(separator: ", ") + ", or " + phrases.last!)
    }
}

extension PermissionMatrix.MatrixRole: CaseIterable {
    /// The role's name as admins know it.
    var label: String {
        switch self {
        case .globalAdmin: "Global admin"
        case .exchangeAdmin: "Exchange admin"
        case .serviceAdmin: "Service admin"
        case .systemAdmin: "System Administrator"
        case .delegatedApprover: "Delegated Mailbox Approver"
        }
    }
}
