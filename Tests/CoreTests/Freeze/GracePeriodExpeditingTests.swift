import Core
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The guard holds `rcu_expedited` at 1 only around its FIFREEZE calls and always puts the previous value back.
/// In the same serialized suite as the other guard tests: they all let the guard use the real knob.
extension GuardedFreezerTests {
    private func freezer(_ mounts: [String], lockPath: String, knob: String, expedite: Bool = true)
        -> GuardedFreezer
    {
        GuardedFreezer(
            mounts: mounts, guardExecutable: BuiltBinary.vmsnap.path, lockPath: lockPath,
            expediteGracePeriods: expedite, rcuExpeditedPath: knob)
    }

    /// The outcomes the guard may report for the real knob when it was `original` before. The knob is one for the
    /// whole machine: a freeze of another suite running at the same moment (end-to-end tests) may hold it at 1
    /// for its own FIFREEZE calls, so a guard starting then rightly finds it already expedited. The exact outcome
    /// is asserted with private knob files below; here what matters is that the real knob is put back.
    private func expectedOutcomes(original: String) -> [GracePeriodExpediting.Outcome] {
        original == "0" ? [.expedited, .alreadyExpedited] : [.alreadyExpedited]
    }

    @Test func theRealKnobIsRestoredAfterAFreezeAndThaw() async throws {
        let original = rcuKnob.original
        try await LoopFilesystem.withTestMounts(2) { _, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            #expect(try RCUExpeditedKnob.settledValue(expecting: original) == original, "restored while frozen")
            let report = await frozen.thawWithDetails()
            #expect(report.failureCode == nil)
            #expect(expectedOutcomes(original: original).contains { $0 == report.gracePeriods?.outcome })
            #expect(report.gracePeriods?.problem == nil)
            #expect(try RCUExpeditedKnob.settledValue(expecting: original) == original)
        }
    }

    @Test func theRealKnobIsRestoredAfterADeadlineThaw() async throws {
        let original = rcuKnob.original
        try await LoopFilesystem.withTestMounts(2) { _, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .milliseconds(500))
            let report = await frozen.waitForGuard()
            #expect(report.thawedByDeadline)
            #expect(expectedOutcomes(original: original).contains { $0 == report.gracePeriods?.outcome })
            #expect(try RCUExpeditedKnob.settledValue(expecting: original) == original)
        }
    }

    @Test func aKnobFileIsSetForTheFreezeAndPutBack() async throws {
        let knob = try TemporaryKnobFile(value: "0")
        defer { knob.remove() }
        try await LoopFilesystem.withTestMounts(2) { _, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath, knob: knob.path)
                .freezeGuarded(timeout: .seconds(30))
            #expect(try knob.written(), "the guard never wrote the knob")
            #expect(try knob.value() == "0", "the knob was not put back after the last FIFREEZE")
            let report = await frozen.thawWithDetails()
            #expect(
                report.gracePeriods
                    == GracePeriodExpediting(
                        outcome: .expedited, heldNanoseconds: report.gracePeriods?.heldNanoseconds ?? 0))
            #expect((report.gracePeriods?.heldNanoseconds ?? 0) > 0)
            #expect(report.gracePeriods?.expedited == true)
            #expect(try knob.value() == "0")
        }
    }

    @Test func theJobPutsBackAKnobLeftChangedByAKilledGuard() async throws {
        let knob = try TemporaryKnobFile(value: "0")
        defer { knob.remove() }
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath, knob: knob.path)
                .freezeGuarded(timeout: .seconds(30))
            try Data("1\n".utf8).write(to: URL(fileURLWithPath: knob.path))  // as if the guard died holding it
            kill(frozen.guardProcessID, SIGKILL)
            let report = await frozen.thawWithDetails()
            #expect(report.failureMessage == "the freeze guard exited without a report")
            #expect(report.gracePeriods?.outcome == .restoredByJob)
            #expect(report.gracePeriods?.problem?.contains("the job put back 0") == true)
            #expect(try knob.value() == "0")
            #expect(try filesystems.map { try $0.startWriter() }.allSatisfy { $0.completed(within: 5) })
        }
    }

    @Test func withExpeditingOffTheKnobIsNeverWritten() async throws {
        let knob = try TemporaryKnobFile(value: "0")
        defer { knob.remove() }
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath, knob: knob.path, expedite: false)
                .freezeGuarded(timeout: .seconds(30))
            #expect(!(try filesystems[0].startWriter().completed(within: 0.2)), "not frozen")
            let report = await frozen.thawWithDetails()
            #expect(report.failureCode == nil)
            #expect(report.gracePeriods == GracePeriodExpediting(outcome: .disabled))
            #expect(report.gracePeriods?.expedited == false)
            #expect(!(try knob.written()))
        }
    }

    @Test func anAlreadyExpeditedKnobIsLeftAlone() async throws {
        let knob = try TemporaryKnobFile(value: "1")
        defer { knob.remove() }
        try await LoopFilesystem.withTestMounts(1) { _, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath, knob: knob.path)
                .freezeGuarded(timeout: .seconds(30))
            let report = await frozen.thawWithDetails()
            #expect(report.gracePeriods == GracePeriodExpediting(outcome: .alreadyExpedited))
            #expect(!(try knob.written()))
            #expect(try knob.value() == "1")
        }
    }

    /// Freezes `filesystem` with the guard pointed at an unusable `knob`: checks the freeze and thaw still work
    /// and the knob is reported unavailable; returns the reason the guard gave.
    private func freezeWithUnusableKnob(_ filesystem: LoopFilesystem, lockPath: String, knob: String) async throws
        -> String?
    {
        let mounts = try LoopFilesystem.testOwnedMounts([filesystem])
        let frozen = try await freezer(mounts, lockPath: lockPath, knob: knob).freezeGuarded(timeout: .seconds(30))
        let writer = try filesystem.startWriter()
        #expect(!writer.completed(within: 0.2), "not frozen")
        let report = await frozen.thawWithDetails()
        #expect(writer.completed(within: 5))
        #expect(report.failureCode == nil)
        #expect(report.gracePeriods?.outcome == .unavailable)
        return report.gracePeriods?.problem
    }

    @Test func aMissingKnobDoesNotFailTheFreeze() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, _, lockPath in
            let missing = "/nonexistent-vmsnap/rcu_expedited"
            let problem = try await freezeWithUnusableKnob(filesystems[0], lockPath: lockPath, knob: missing)
            #expect(problem?.contains(missing) == true)
        }
    }

    @Test func anUnwritableKnobDoesNotFailTheFreeze() async throws {
        // The knob file lives on a second test filesystem (not frozen) that supports the immutable attribute,
        // which even root cannot write through.
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let knob = try TemporaryKnobFile(value: "0", directory: mounts[1])
            let chattr = URL(fileURLWithPath: "/usr/bin/chattr")
            #expect(try await ProcessOutput.run(chattr, ["+i", knob.path]).status == 0)
            defer { _ = try? ProcessOutput.runWaiting(chattr, ["-i", knob.path]) }
            let problem = try await freezeWithUnusableKnob(filesystems[0], lockPath: lockPath, knob: knob.path)
            #expect(problem?.contains("for writing") == true)
            #expect(try knob.value() == "0")
        }
    }
}
