import Foundation
import ServerSideSync
import SyncLedgerTesting
import Testing

@Suite("Permission matrix (§5.2)")
struct PermissionMatrixTests {
    typealias Column = PermissionMatrix.Column

    static let rows: [(Deployment, ExchangeKind)] = [
        (.online, .exchangeOnline), (.online, .exchangeOnPremises), (.onPremises, .exchangeOnline), (.onPremises, .exchangeOnPremises),
    ]

    /// The documented table, cell by cell, as written in the documentation.
    static let documented: [[PermissionMatrix.Cell]] = [
        [.yes, .yes, .yesFrom("9.2.22104.00170"), .no, .no, .no, .no],
        [.notApplicable, .notApplicable, .notApplicable, .yes, .no, .notApplicable, .notApplicable],
        [.notApplicable, .notApplicable, .notApplicable, .yes, .notApplicable, .notApplicable, .notApplicable],
        [.notApplicable, .notApplicable, .notApplicable, .yes, .notApplicable, .notApplicable, .notApplicable],
    ]

    /// Whether an actor holding exactly a column's roles may approve on each row.
    /// n/a cells: roles the row ignores do not count, so GA + SA on the
    /// on-premises rows is a System admin (allowed), and EA alone there is nobody.
    static let expected: [[Bool]] = [
        [true, true, true, false, false, false, false],
        [true, true, true, true, false, false, false],
        [true, true, true, true, false, false, false],
        [true, true, true, true, false, false, false],
    ]

    struct Cell: Sendable, CustomTestStringConvertible {
        var row: Int
        var column: Column
        var testDescription: String { "\(PermissionMatrixTests.rows[row].0.rawValue) + \(PermissionMatrixTests.rows[row].1.rawValue) × \(column.rawValue)" }
    }

    static let cells: [Cell] = (0..<4).flatMap { row in Column.allCases.map { Cell(row: row, column: $0) } }

    /// An authority holding exactly the roles of `column` in an environment of `version`.
    static func authority(for column: Column, version: DynamicsVersion = "9.2.24011.00100") -> Authority {
        let upn: UserPrincipalName = "someone@contoso.com"
        var state = SyncState()
        var user = DirectoryUser(upn: upn, displayName: "Someone")
        var env = EnvironmentState(id: "env", deployment: .online, version: version, exchangeOnlineInTenant: true, region: .default,
                                   provisionedOn: Contoso.t0, settings: EmailSettings())
        for role in RoleDefinition.builtIn(for: .online, version: "9.2.24011.00100") { env.roles[role.name] = role }
        func give(_ role: RoleName) { env.assignments[role, default: []].insert(.user(upn)) }
        switch column {
        case .globalAdminAndSystemAdmin: user.adminRoles = [.globalAdmin]; give(.systemAdministrator)
        case .exchangeAdminAndSystemAdmin: user.adminRoles = [.exchangeAdmin]; give(.systemAdministrator)
        case .delegatedApproverAndSystemAdmin: give(.delegatedMailboxApprover); give(.systemAdministrator)
        case .systemAdminAlone: give(.systemAdministrator)
        case .serviceAdmin: user.adminRoles = [.serviceAdmin]
        case .exchangeAdminAlone: user.adminRoles = [.exchangeAdmin]
        case .globalAdminAlone: user.adminRoles = [.globalAdmin]
        }
        state.users[upn] = user
        state.environments["env"] = env
        return Authority(user: upn, in: "env", state: state)
    }

    @Test(arguments: cells)
    func everyCellIsAsDocumentedAndDecidesAsExpected(_ cell: Cell) {
        let (deployment, exchange) = Self.rows[cell.row]
        let row = PermissionMatrix.row(deployment: deployment, exchange: exchange)
        let index = Column.allCases.firstIndex(of: cell.column)!
        #expect(PermissionMatrix.cell(row, cell.column) == Self.documented[cell.row][index])
        let verdict = PermissionMatrix.verdict(for: Self.authority(for: cell.column), at: row, version: "9.2.24011.00100")
        let allowed = if case .allowed = verdict { true } else { false }
        #expect(allowed == Self.expected[cell.row][index])
    }

    @Test func theDelegatedApproverColumnIsGatedByVersion() {
        let row = PermissionMatrix.row(deployment: .online, exchange: .exchangeOnline)
        let dma = Self.authority(for: .delegatedApproverAndSystemAdmin)
        #expect(PermissionMatrix.verdict(for: dma, at: row, version: "9.2.22104.00169") == .needsVersion("9.2.22104.00170"))
        #expect(PermissionMatrix.verdict(for: dma, at: row, version: "9.2.22104.00170") == .allowed(by: .delegatedApproverAndSystemAdmin))
        #expect(PermissionMatrix.verdict(for: dma, at: row, version: "9.2.22104.170") == .allowed(by: .delegatedApproverAndSystemAdmin))
        #expect(PermissionMatrix.verdict(for: dma, at: row, version: "9.3") == .allowed(by: .delegatedApproverAndSystemAdmin))
    }

    @Test func aNonExchangeProfileUsesTheOnPremisesRow() {
        #expect(PermissionMatrix.row(deployment: .online, exchange: .notExchange) == PermissionMatrix.row(deployment: .online, exchange: .exchangeOnPremises))
    }

    @Test func versionsCompareNumericallyPartByPart() {
        #expect(DynamicsVersion(parsing: "9.2.22104.00170")! > DynamicsVersion(parsing: "9.2.9999.99999")!)
        #expect(DynamicsVersion(parsing: "9.10")! > DynamicsVersion(parsing: "9.9")!)
        #expect(DynamicsVersion(parsing: "9.2")! == DynamicsVersion(parsing: "9.2.0.0")!)
        #expect(DynamicsVersion(parsing: "9.x") == nil)
        #expect(DynamicsVersion(parsing: "") == nil)
    }
}
