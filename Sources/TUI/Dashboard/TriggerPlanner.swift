import Core
import Foundation

/// Resolves the job plan of a dashboard-triggered snapshot when `t` opens the confirmation, shows it there, and
/// hands exactly that plan to the job once confirmed.
public final class TriggerPlanner: @unchecked Sendable {
    private let feed: DashboardFeed
    private let resolve: @Sendable () throws -> JobPlan
    private let lock = NSLock()
    private var shown: Result<JobPlan, any Error>?

    /// `resolve` makes the plan (the same resolver `handler enable` uses).
    public init(feed: DashboardFeed, resolve: @escaping @Sendable () throws -> JobPlan) {
        self.feed = feed
        self.resolve = resolve
    }

    /// A planner for `JobPlan.resolve(sources:overrides:)`.
    public convenience init(feed: DashboardFeed, sources: JobPlanSources, overrides: JobPlanOverrides) {
        self.init(feed: feed) { try JobPlan.resolve(sources: sources, overrides: overrides) }
    }

    /// Resolves the plan now and puts it in the dashboard's model for the confirmation.
    @Sendable public func prepare() {
        let result = Result { try resolve() }
        lock.withLock { shown = result }
        let plan: TriggerPlan
        switch result {
        case .success(let resolved): plan = TriggerPlan(resolved)
        case .failure(let error): plan = .unavailable(Redactor.redact("\(error)"))
        }
        feed.update { $0.triggerPlan = plan }
    }

    /// The plan the operator confirmed.
    public func confirmedPlan() throws -> JobPlan {
        guard let shown = lock.withLock({ shown }) else { throw TriggerPlanMissing() }
        return try shown.get()
    }
}

/// A trigger arrived before any plan was shown.
struct TriggerPlanMissing: Error, CustomStringConvertible {
    var description: String { "no job plan was confirmed" }
}
