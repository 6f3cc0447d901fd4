import Core
import Foundation
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real FIFREEZE/FITHAW on ext4 loop filesystems the tests create; the guard is the built `vmsnap` binary.
@Suite(.serialized)
struct GuardedFreezerTests {
    /// Every test lets the guard hold the real `rcu_expedited` knob; this puts it back after each one.
    let rcuKnob: RCUExpeditedKnobKeeper

    init() throws { rcuKnob = try RCUExpeditedKnobKeeper() }

    func freezer(_ mounts: [String], lockPath: String) -> GuardedFreezer {
        GuardedFreezer(mounts: mounts, guardExecutable: BuiltBinary.vmsnap.path, lockPath: lockPath)
    }

    @Test func writerBlocksDuringTheFreezeAndCompletesAfterThaw() async throws {
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            let writer = try filesystems[1].startWriter()
            #expect(!writer.completed(within: 0.3), "a write went through while the filesystem was frozen")
            let betweenMarker = NSTemporaryDirectory() + "/vmsnap-between-\(UUID().uuidString)"
            #expect(FileManager.default.createFile(atPath: betweenMarker, contents: Data("snapshot".utf8)))
            defer { try? FileManager.default.removeItem(atPath: betweenMarker) }
            #expect(!writer.completed(within: 0.05), "the write completed before the thaw")
            let report = await frozen.thawWithDetails()
            #expect(writer.completed(within: 5))
            #expect(report.failureCode == nil)
            #expect(report.thawFailures.isEmpty)
            #expect(!report.thawedByDeadline)
            #expect(report.windowNanoseconds >= 300_000_000)
            let written = try String(contentsOfFile: mounts[1] + "/written.txt", encoding: .utf8)
            #expect(written == "written\n")
        }
    }

    @Test func thawsInReverseOrder() async throws {
        try await LoopFilesystem.withTestMounts(3) { _, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            #expect(frozen.mounts == mounts)
            let report = await frozen.thawWithDetails()
            #expect(report.thawOrder == mounts.reversed())
            #expect(report.thawFailures.isEmpty)
        }
    }

    @Test func oneFailingThawDoesNotSkipTheOthers() async throws {
        try await LoopFilesystem.withTestMounts(3) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            let unfreeze = try await ProcessOutput.run(URL(fileURLWithPath: "/sbin/fsfreeze"), ["-u", mounts[1]])
            #expect(unfreeze.status == 0)
            let writers = try filesystems.map { try $0.startWriter() }
            #expect(writers[1].completed(within: 5), "the externally thawed mount should be writable")
            let report = await frozen.thawWithDetails()
            #expect(report.thawOrder == mounts.reversed())
            #expect(Array(report.thawFailures.keys) == [mounts[1]])
            #expect(report.thawFailures[mounts[1]]?.contains("FITHAW failed") == true)
            #expect(writers[0].completed(within: 5))
            #expect(writers[2].completed(within: 5))
        }
    }

    @Test func theDeadlineThawsWhenNobodyAsks() async throws {
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(2))
            let writers = try filesystems.map { try $0.startWriter() }
            let report = await frozen.waitForGuard()
            #expect(report.thawedByDeadline)
            #expect(report.thawOrder == mounts.reversed())
            #expect(report.windowNanoseconds >= 1_000_000_000, "the guard thawed long before its 2 s deadline")
            #expect(writers.allSatisfy { $0.completed(within: 5) })
            #expect(await frozen.thaw().thawedByDeadline)
        }
    }

    @Test func closingTheCommandPipeThaws() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, mounts, lockPath in
            var frozen: GuardedFrozenFilesystems? = try await freezer(mounts, lockPath: lockPath)
                .freezeGuarded(timeout: .seconds(30))
            let writer = try filesystems[0].startWriter()
            #expect(!writer.completed(within: 0.2))
            frozen = nil  // releasing the handle closes the command pipe: the guard sees EOF
            #expect(frozen == nil)
            #expect(writer.completed(within: 5), "the guard did not thaw after its command pipe closed")
        }
    }

    @Test func sigkillOfTheParentThawsWithinASecondAndTheRCUKnobIsRestored() async throws {
        let original = rcuKnob.original
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            // sh is the guard's parent; the test holds the guard's command pipe open, so only the
            // parent-death signal can tell the guard that sh died.
            let script =
                "\"$0\" freeze-guard --parent-pid $$ --timeout-ms 60000 --lock-file \"$1\" -- \"$2\" \"$3\"; exit 0"
            let parent = Process()
            parent.executableURL = URL(fileURLWithPath: "/bin/sh")
            parent.arguments = ["-c", script, BuiltBinary.vmsnap.path, lockPath] + mounts
            let commands = Pipe()
            parent.standardInput = commands
            defer { try? commands.fileHandleForWriting.close() }
            let reports = Pipe()
            parent.standardOutput = reports
            try parent.run()
            let lines = LineReader(reports.fileHandleForReading)
            let first = try #require(lines.next(), "the guard reported nothing")
            #expect(first.contains("\"frozen\""))
            let writers = try filesystems.map { try $0.startWriter() }
            #expect(!writers[0].completed(within: 0.2))
            kill(parent.processIdentifier, SIGKILL)
            #expect(
                writers.allSatisfy { $0.completed(within: 1) }, "not writable within 1 s of the parent's death")
            let last = try #require(lines.next(), "the guard sent no final report")
            let report = try JSONDecoder().decode(FreezeGuardMessage.self, from: Data(last.utf8))
            #expect(report.kind == .finished)
            #expect(!report.thawedByDeadline)
            #expect(report.gracePeriods?.outcome == (original == "0" ? .expedited : .alreadyExpedited))
            #expect(try RCUExpeditedKnob.settledValue(expecting: original) == original)
            parent.waitUntilExit()
        }
    }

    /// Freezes two fresh filesystems, sends `signal` to the guard and checks both are writable within 1 s;
    /// returns the guard's report (or the job's replacement for it).
    private func signalTheGuard(_ signal: Int32) async throws -> (FreezeGuardMessage, mounts: [String]) {
        var outcome: (FreezeGuardMessage, [String])?
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let frozen = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(60))
            let writers = try filesystems.map { try $0.startWriter() }
            #expect(!writers[0].completed(within: 0.2))
            kill(frozen.guardProcessID, signal)
            #expect(writers.allSatisfy { $0.completed(within: 1) }, "not writable within 1 s of signal \(signal)")
            outcome = (await frozen.thawWithDetails(), mounts)
        }
        return try #require(outcome)
    }

    @Test func sigtermToTheGuardThaws() async throws {
        let (report, mounts) = try await signalTheGuard(SIGTERM)
        #expect(report.failureCode == nil)
        #expect(report.thawOrder == mounts.reversed())
        #expect(!report.thawedByDeadline)
    }

    @Test func aKilledGuardIsReplacedByAThawFromTheJob() async throws {
        let (report, _) = try await signalTheGuard(SIGKILL)
        #expect(report.failureMessage == "the freeze guard exited without a report")
        #expect(report.thawFailures.isEmpty)
        #expect(report.gracePeriods == nil, "the guard had put rcu_expedited back: nothing for the job to restore")
    }

    @Test func theLockPreventsASecondConcurrentFreeze() async throws {
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let first = try await freezer([mounts[0]], lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            var impatient = freezer([mounts[1]], lockPath: lockPath)
            impatient.lockWait = .seconds(1)
            let failure = await #expect(throws: JobFailure.self) {
                _ = try await impatient.freezeGuarded(timeout: .seconds(30))
            }
            #expect(failure?.code == 121)
            #expect(failure?.message.contains("another freeze is in progress") == true)
            #expect(failure?.message.contains("held by process \(first.guardProcessID)") == true, "\(failure!)")
            #expect(try filesystems[1].startWriter().completed(within: 5), "the second freezer froze anyway")
            _ = await first.thaw()
            let again = try await freezer([mounts[1]], lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            #expect(await again.thaw().failures.isEmpty)
        }
    }

    @Test func aFailingFreezeThawsWhatWasFrozenAndReports121() async throws {
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let external = try await ProcessOutput.run(URL(fileURLWithPath: "/sbin/fsfreeze"), ["-f", mounts[1]])
            #expect(external.status == 0)
            let failure = await #expect(throws: JobFailure.self) {
                _ = try await freezer(mounts, lockPath: lockPath).freezeGuarded(timeout: .seconds(30))
            }
            #expect(failure?.code == 121)
            #expect(failure?.message.contains(mounts[1]) == true)
            #expect(try filesystems[0].startWriter().completed(within: 5), "the first mount stayed frozen")
        }
    }

    @Test(arguments: [false, true])
    func aFreezeBlockedPastTheDeadlineIs122AndLeavesNothingFrozen(bySafeFreezeWait: Bool) async throws {
        // `stacked` lives in an image on `base`: with `base` frozen, flushing `stacked` blocks in the kernel.
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            let stackedList = try LoopFilesystem.create(count: 1, imageDirectory: mounts[0])
            let fsfreeze = URL(fileURLWithPath: "/sbin/fsfreeze")
            defer {
                _ = try? ProcessOutput.runWaiting(fsfreeze, ["-u", mounts[0]])
                stackedList.forEach { $0.remove() }
            }
            let stacked = try LoopFilesystem.testOwnedMounts(stackedList)[0]
            try Data(repeating: 7, count: 1 << 20).write(to: URL(fileURLWithPath: stacked + "/dirty"))
            #expect(try await ProcessOutput.run(fsfreeze, ["-f", mounts[0]]).status == 0)
            // vmbackup.conf SafeFreezeWaitInSeconds: the freeze must complete within 1 s of a 30 s freeze timeout.
            var guarded = freezer([mounts[1], stacked], lockPath: lockPath)
            guarded.freezeWait = bySafeFreezeWait ? .seconds(1) : nil
            let failure = await #expect(throws: JobFailure.self) {
                _ = try await guarded.freezeGuarded(timeout: .seconds(bySafeFreezeWait ? 30 : 1))
            }
            #expect(failure?.code == 122)
            #expect(failure?.message.contains("within the freeze wait of 1.0 s") == bySafeFreezeWait, "\(failure!)")
            #expect(try filesystems[1].startWriter().completed(within: 5), "a mount stayed frozen after the deadline")
            #expect(try await ProcessOutput.run(fsfreeze, ["-u", mounts[0]]).status == 0)
            #expect(try stackedList[0].startWriter().completed(within: 5), "the blocked mount stayed frozen")
        }
    }

    @Test func unopenableMountIs123AndMissingGuardIs124() async throws {
        try await LoopFilesystem.withTestMounts(1) { _, mounts, lockPath in
            let missingMount = await #expect(throws: JobFailure.self) {
                _ = try await freezer(mounts + ["/nonexistent-vmsnap-mount"], lockPath: lockPath)
                    .freezeGuarded(timeout: .seconds(30))
            }
            #expect(missingMount?.code == 123)
            let missingGuard = await #expect(throws: JobFailure.self) {
                _ = try await GuardedFreezer(
                    mounts: mounts, guardExecutable: "/nonexistent/vmsnap", lockPath: lockPath
                ).freezeGuarded(timeout: .seconds(30))
            }
            #expect(missingGuard?.code == 124)
        }
    }

    @Test func aLockfHolderMakesTheJobWaitThenFail121WithoutFreezing() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, mounts, lockPath in
            let holder = try LockfHolder.start(lockPath, seconds: 30)
            defer { holder.stop() }
            var waiting = freezer(mounts, lockPath: lockPath)
            waiting.lockWait = .seconds(2)
            let notices = Mutex<[String]>([])
            let writer = try filesystems[0].startWriter(file: "during-wait.txt")
            let failure = await #expect(throws: JobFailure.self) {
                _ = try await waiting.freezeGuarded(timeout: .seconds(30)) { note in
                    notices.withLock { $0.append(note) }
                }
            }
            #expect(failure?.code == 121)
            #expect(failure?.message.contains("held by process \(holder.processID)") == true, "\(failure!)")
            #expect(writer.completed(within: 2), "nothing was frozen while waiting for the lock")
            let heard = notices.withLock { $0 }
            #expect(heard.count >= 1, "each retry is reported")
            #expect(
                heard.allSatisfy { $0.hasPrefix("waiting for the freeze lock held by PID \(holder.processID)") }
            )
        }
    }

    @Test func aLockfHolderThatReleasesInTimeLetsTheJobFreeze() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, mounts, lockPath in
            let holder = try LockfHolder.start(lockPath, seconds: 1.5)
            defer { holder.stop() }
            var waiting = freezer(mounts, lockPath: lockPath)
            waiting.lockWait = .seconds(20)
            let frozen = try await waiting.freezeGuarded(timeout: .seconds(30))
            #expect(frozen.lockWait > .milliseconds(500), "the guard waited for the holder: \(frozen.lockWait)")
            #expect(!(try filesystems[0].startWriter().completed(within: 0.3)), "frozen after the wait")
            #expect(await frozen.thaw().failures.isEmpty)
        }
    }

    @Test func aPreparedGuardHoldsTheLockUnfrozenAndEndsWhenDroppedUnused() async throws {
        try await LoopFilesystem.withTestMounts(2) { filesystems, mounts, lockPath in
            var prepared: PreparedGuardedFreeze? = try await freezer([mounts[0]], lockPath: lockPath)
                .prepareGuarded(timeout: .seconds(30), freezeWithin: .seconds(30))
            #expect(try filesystems[0].startWriter().completed(within: 5), "a prepared guard froze before it was asked")
            var impatient = freezer([mounts[1]], lockPath: lockPath)
            impatient.lockWait = .zero
            let failure = await #expect(throws: JobFailure.self) {
                _ = try await impatient.freezeGuarded(timeout: .seconds(30))
            }
            #expect(failure?.code == 121, "the prepared guard must already hold the freeze lock")
            let guardPID = try #require(prepared?.guardProcessID)
            prepared = nil  // dropped unused: the guard ends and releases the lock, nothing was frozen
            #expect(prepared == nil)
            var patient = freezer([mounts[1]], lockPath: lockPath)
            patient.lockWait = .seconds(5)
            let frozen = try await patient.freezeGuarded(timeout: .seconds(30))
            #expect(frozen.lockWait < .seconds(2), "the dropped guard kept the lock: \(frozen.lockWait)")
            #expect(frozen.guardProcessID != guardPID)
            #expect(await frozen.thaw().failures.isEmpty)
        }
    }

    @Test func aPreparedFreezeArmsItsDeadlineOnlyWhenAskedToFreeze() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, mounts, lockPath in
            let prepared = try await freezer(mounts, lockPath: lockPath)
                .prepareGuarded(timeout: .seconds(2), freezeWithin: .seconds(30))
            try await Task.sleep(for: .milliseconds(2500))  // longer than the deadline: it must not be running yet
            let frozen = try await prepared.freezeGuarded()
            #expect(frozen.lockWait == .zero)
            let writer = try filesystems[0].startWriter()
            #expect(!writer.completed(within: 0.3), "a write went through while frozen")
            let report = await frozen.waitForGuard()
            #expect(report.thawedByDeadline)
            #expect(report.windowNanoseconds >= 1_000_000_000, "the deadline ran from before the freeze command")
            #expect(writer.completed(within: 5))
        }
    }

    @Test func aPreparedGuardNotAskedWithinItsWaitEndsUnfrozenWith122() async throws {
        try await LoopFilesystem.withTestMounts(1) { filesystems, mounts, lockPath in
            let prepared = try await freezer(mounts, lockPath: lockPath)
                .prepareGuarded(timeout: .seconds(30), freezeWithin: .milliseconds(300))
            try await Task.sleep(for: .seconds(1))
            let failure = await #expect(throws: JobFailure.self) { _ = try await prepared.freezeGuarded() }
            #expect(failure?.code == 122)
            #expect(failure?.message.contains("no freeze command") == true, "\(failure!)")
            #expect(try filesystems[0].startWriter().completed(within: 5), "frozen after all")
        }
    }
}
