import BuyerGuard
import BuyerGuardDetect
import BuyerGuardTesting
import Foundation
import Testing

/// Each rule family is its own type (`Sources/BuyerGuardDetect/Rules/`): switching one off takes
/// away its findings and nothing else, and leaves the others' findings exactly as they were.
@Suite struct RuleIndependenceTests {
    @Test func eachRuleSwitchedOffAloneTakesAwayOnlyItsOwnFindings() async throws {
        let simulation = SellerSimulation(SellerSimulation.Configuration())
        let temporary = try await TemporaryVault(clock: ManualClock(simulation.configuration.start))
        _ = try await simulation.writeSynthetic(into: temporary.vault.auditLog)
        var rules = DetectionRules()
        rules.canaryOrders = Set(simulation.canaryOrders.map(\.rawValue))
        let all = try MisuseScanner(rules: rules).scan(temporary.vault.auditLog)
        let fired = Set(all.map(\.rule))
        #expect(fired.count >= 8, "the planted shop should make most rules fire: \(fired.sorted())")
        for rule in DetectionRules.Rule.allCases {
            var without = rules
            without.disabled = [rule]
            let found = try MisuseScanner(rules: without).scan(temporary.vault.auditLog)
            #expect(found == all.filter { $0.rule != rule.rawValue }, "switching off \(rule.rawValue)")
        }
        var none = rules
        none.disabled = Set(DetectionRules.Rule.allCases)
        #expect(try MisuseScanner(rules: none).scan(temporary.vault.auditLog).isEmpty)
    }
}
