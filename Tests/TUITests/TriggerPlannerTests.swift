import Core
import Foundation
import TestSupport
import Testing

@testable import TUI

/// The dashboard's trigger plans its job with the resolver `handler enable` uses, and runs the plan it showed.
@Suite struct TriggerPlannerTests {
    @Test func theTriggersPlanIsHandlerEnablesPlanForTheSameMachine() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeConfiguration(["mountsToSkip": ["/srv"], "freezeTimeoutSeconds": 30])
        try fixture.writeScriptConfig()
        try fixture.writeVMBackupConf("[SnapshotThread]\nMountsToSkip = /data\nseqsnapshot = 1\n")
        // handler enable without flags: the configuration at its default path, the agent's job.
        let handlerPlan = try JobPlan.resolve(sources: fixture.sources, overrides: .agentJob(freeze: nil))

        let feed = DashboardFeed(DashboardModel(vmName: "vm", freezeTimeout: 60, sources: []))
        let planner = TriggerPlanner(feed: feed, sources: fixture.sources, overrides: .agentJob())
        #expect(throws: (any Error).self, "no job before a plan was shown") { try planner.confirmedPlan() }
        planner.prepare()
        let triggerPlan = try planner.confirmedPlan()
        #expect(triggerPlan == handlerPlan)
        #expect(triggerPlan.mountsToFreeze == ["/"])
        #expect(triggerPlan.scripts?.config != nil, "the trigger runs the configured scripts")
        #expect(triggerPlan.options().snapshotConcurrency == 1)

        let shown = try #require(feed.current().model.triggerPlan)
        #expect(shown.mounts == ["/"] && shown.freezing && shown.freezeTimeoutSeconds == 30)
        #expect(shown.scripts.hasPrefix("pre \(fixture.url("pre.sh").path), post "))
    }

    @Test func aBrokenConfigurationIsShownAndNeverRun() throws {
        let fixture = try PlanFixture()
        defer { fixture.remove() }
        try fixture.writeConfiguration(["mountsToSkip": ["relative"]])
        let feed = DashboardFeed(DashboardModel(vmName: "vm", freezeTimeout: 60, sources: []))
        let planner = TriggerPlanner(feed: feed, sources: fixture.sources, overrides: .agentJob())
        planner.prepare()
        #expect(feed.current().model.triggerPlan?.problem?.contains("mountsToSkip") == true)
        #expect(throws: JobPlanError.self) { try planner.confirmedPlan() }
    }
}
