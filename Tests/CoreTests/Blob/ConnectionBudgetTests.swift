import Core
import Testing

/// Connections stay well inside the descriptor limit, whatever it is.
@Suite struct ConnectionBudgetTests {
    @Test func aQuarterOfTheLimitCappedAt256And64PerHost() {
        #expect(ConnectionBudget.forDescriptorLimit(1024) == ConnectionBudget(total: 256, perHost: 64))
        #expect(ConnectionBudget.forDescriptorLimit(256) == ConnectionBudget(total: 64, perHost: 64))
        #expect(ConnectionBudget.forDescriptorLimit(100) == ConnectionBudget(total: 25, perHost: 25))
        #expect(ConnectionBudget.forDescriptorLimit(1 << 20) == ConnectionBudget(total: 256, perHost: 64))
        #expect(ConnectionBudget.forDescriptorLimit(0) == ConnectionBudget(total: 4, perHost: 4))
    }

    @Test func theDefaultClientUsesTheProcesssLimit() {
        let budget = ConnectionBudget.fromDescriptorLimit()
        #expect(budget.total <= 256 && budget.perHost <= budget.total)
        #expect(BlobClient.Configuration().maximumConnections == budget.total)
    }
}
