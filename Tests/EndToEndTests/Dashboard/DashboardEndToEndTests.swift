import Core
import Foundation
import TestSupport
import Testing

/// `vmsnap demo` and `vmsnap monitor` in a real pseudo-terminal (tmux), driven by keys like an operator.
@Suite(.serialized) struct DashboardEndToEndTests {
    private func workDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dash-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Runs `command` in the pane, recording the terminal modes before and after and the exit status.
    private func wrapped(_ command: String, in directory: URL) -> String {
        let d = directory.path
        return "stty -g > \(d)/before; \(command); echo $? > \(d)/exit; stty -g > \(d)/after; sleep 60"
    }

    private func waitForFile(_ url: URL, timeout: TimeInterval = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOf: url, encoding: .utf8), text.hasSuffix("\n") { return text }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    /// Triggers a snapshot from the dashboard, confirms it with `y` and waits for it to finish: whether it did, the
    /// final screen's text and its disk rows.
    func triggerConfirmedJob(_ session: TmuxSession) throws -> (met: Bool, text: String, diskRows: [String]) {
        try session.send("t")
        #expect(session.wait(for: "[y] yes").met)
        try session.send("y")
        let finished = session.wait(timeout: 30) { screen in
            screen.joined(separator: "\n").contains("snapshot finished: SUCCEEDED")
        }
        let diskRows = finished.screen.filter { $0.contains(".vhd") && !$0.contains("http") }
        return (finished.met, finished.screen.joined(separator: "\n"), diskRows)
    }

    @Test func demoHostPathJobShowsItsDisksViaHost() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = try TmuxSession(
            command: wrapped("'\(BuiltBinary.vmsnap.path)' demo --disks 2 --host", in: directory), width: 140,
            height: 30, environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        defer { session.kill() }
        #expect(session.wait(for: "previous job").met)
        let (met, text, diskRows) = try triggerConfirmedJob(session)
        #expect(met, "the triggered host-path job finishes:\n\(text)")
        #expect(diskRows.count == 2 && diskRows.allSatisfy { $0.contains("via host") }, "\(diskRows)")
        try session.send("q")
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "0\n")
    }

    @Test func demoTriggerWithConfirmationEveryDiskDoneHelpResizeQuit() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = try TmuxSession(
            command: wrapped("'\(BuiltBinary.vmsnap.path)' demo --disks 3", in: directory), width: 100, height: 30,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        defer { session.kill() }

        let start = session.wait(for: "previous job")
        #expect(start.met, "the demo starts with the seeded previous job:\n\(start.screen.joined(separator: "\n"))")

        try session.send("t")
        #expect(session.wait(for: "Trigger a snapshot?").met)
        try session.send("Enter")
        let declined = session.wait(for: "snapshot not triggered")
        #expect(declined.met, "Enter keeps the default (No)")
        #expect(!declined.screen.joined().contains("(live job)"))

        let (met, text, diskRows) = try triggerConfirmedJob(session)
        #expect(met, "the triggered job finishes:\n\(text)")
        #expect(text.contains("(live job)") && text.contains("3/3 finished"))
        #expect(diskRows.count == 3 && diskRows.allSatisfy { $0.contains("done") }, "\(diskRows)")
        #expect(diskRows.contains { $0.contains(" 3 ") }, "the flaky disk needed retries: \(diskRows)")
        #expect(!text.contains("sig="), "no signature on screen")

        try session.send("?")
        #expect(session.wait(for: "Help: keys").met)
        try session.send("Escape")
        #expect(session.wait { !$0.joined().contains("Help: keys") }.met)

        try session.resize(width: 50, height: 12)
        #expect(session.wait(for: "Terminal too small").met)
        try session.resize(width: 120, height: 40)
        let large = session.wait { $0.joined().contains("Disks") && !$0.joined().contains("too small") }
        #expect(large.met)
        #expect(large.screen.count >= 40 && large.screen[0].contains("vmsnap"))

        try session.send("q")
        let exit = waitForFile(directory.appendingPathComponent("exit"))
        #expect(exit == "0\n")
        let before = try String(contentsOf: directory.appendingPathComponent("before"), encoding: .utf8)
        let after = waitForFile(directory.appendingPathComponent("after"))
        #expect(after == before, "terminal modes restored after quit")
    }

    @Test func demoFreezesOnlyTheNamedMountAndThawsIt() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mount = try #require(try LoopFilesystem.testOwnedMounts(filesystems).first)
        let lock = directory.appendingPathComponent("SafeFreezeLockFile").path
        let session = try TmuxSession(
            command: wrapped(
                "'\(BuiltBinary.vmsnap.path)' demo --disks 2 --freeze-mount '\(mount)' --freeze-lock '\(lock)'",
                in: directory),
            width: 120, height: 30,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        defer { session.kill() }
        #expect(session.wait(for: "previous job").met)

        try session.send("t")
        let confirm = session.wait(for: "Scripts: none")
        let dialog = confirm.screen.joined(separator: "\n")
        #expect(confirm.met && dialog.contains("Freezes 1 filesystem for at most 60 s:"), "\(dialog)")
        #expect(dialog.contains("- \(mount)"), "the dialog lists the mount:\n\(dialog)")
        try session.send("y")
        let finished = session.wait(timeout: 30) { $0.joined().contains("snapshot finished: SUCCEEDED") }
        let text = finished.screen.joined(separator: "\n")
        #expect(finished.met, "the triggered job finishes:\n\(text)")
        #expect(text.contains("freeze ✓") && text.contains("thaw ✓"), "the freeze phase succeeded:\n\(text)")

        let writer = try filesystems[0].startWriter()
        #expect(writer.completed(within: 5), "the filesystem is writable after the job")
        let files = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String } ?? []
        let status = try #require(files.first { $0.hasSuffix("/status/1.status") })
        let document = try StatusDocumentReader.read(
            Data(contentsOf: directory.appendingPathComponent(status)), origin: .statusFile, source: status)
        #expect(document.phases.first { $0.stage == .freeze }?.state == .succeeded, "FreezeTime in the telemetry")
        let log = try #require(files.first { $0.hasSuffix("/extension.log") })
        let lines = try String(contentsOf: directory.appendingPathComponent(log), encoding: .utf8)
        #expect(lines.contains("freeze: froze \(mount) in"), "exactly the given mount was frozen:\n\(lines)")
        try session.send("q")
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "0\n")
    }

    @Test func monitorsConfirmationListsTheAgentJobsPlanAndQuitAsksWhileNothingRuns() async throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenario = try await SnapshotScenario.start(disks: 2)
        defer { Task { try await scenario.stop() } }
        let plugin = try scenario.pluginDirectory(sequenceNumber: 1)
        let config = try SettingsFixtures.write(
            ["freezeTimeoutSeconds": 42, "mountsToSkip": ["/nonexistent"]],
            to: directory.appendingPathComponent("c.json"))
        // The agent's job on this machine, as `config show` (the resolver handler enable uses) plans it.
        let show = try await BuiltBinary.run(["config", "show", "--json", "--config", config.path])
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        let mounts = try #require(plan["mountsToFreeze"] as? [String])
        let session = try TmuxSession(
            command: wrapped(
                "'\(BuiltBinary.vmsnap.path)' monitor --config '\(config.path)' --plugin-dir '\(plugin.path)' "
                    + "--log-dir '\(directory.path)'", in: directory),
            width: 120, height: 40, environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8"])
        defer { session.kill() }
        #expect(session.wait(for: "Disks").met)
        try session.send("t")
        let confirm = session.wait(for: "Scripts: ")
        let dialog = confirm.screen.joined(separator: "\n")
        #expect(confirm.met, "\(dialog)")
        if mounts.isEmpty {
            #expect(dialog.contains("no filesystem qualifies"), "\(dialog)")
        } else {
            #expect(dialog.contains("for at most 42 s:"), "\(dialog)")
            for mount in mounts { #expect(dialog.contains("- \(mount) "), "\(mount) listed:\n\(dialog)") }
        }
        try session.send("n")
        #expect(session.wait(for: "snapshot not triggered").met)
        try session.send("q")
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "0\n", "no job runs: q quits at once")
    }

    @Test func aTriggeredJobShowsItWaitsForTheFreezeLockThenFreezes() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let filesystems = try LoopFilesystem.create(count: 1)
        defer { filesystems.forEach { $0.remove() } }
        let mount = try #require(try LoopFilesystem.testOwnedMounts(filesystems).first)
        let lock = directory.appendingPathComponent("lock/SafeFreezeLockFile").path
        let session = try TmuxSession(
            command: wrapped(
                "'\(BuiltBinary.vmsnap.path)' demo --disks 1 --freeze-mount '\(mount)' --freeze-lock '\(lock)'",
                in: directory),
            width: 140, height: 40,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        defer { session.kill() }
        #expect(session.wait(for: "previous job").met)
        let holder = try LockfHolder.start(lock, seconds: 4)
        defer { holder.stop() }
        try session.send("t")
        #expect(session.wait(for: "Scripts: ").met)
        try session.send("y")
        let waiting = session.wait(timeout: 20) { $0.joined().contains("waiting for the freeze lock held by PID") }
        #expect(waiting.met, "the dashboard shows the wait:\n\(waiting.screen.joined(separator: "\n"))")
        #expect(waiting.screen.joined().contains("PID \(holder.processID)"))
        let finished = session.wait(timeout: 40) { $0.joined().contains("snapshot finished: SUCCEEDED") }
        #expect(finished.met, "the job freezes once the holder lets go:\n\(finished.screen.joined(separator: "\n"))")
        try session.send("q")
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "0\n")
    }

    @Test func terminationSignalRestoresTheTerminal() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = "sh -c 'echo $$ > \(directory.path)/pid; exec \"\(BuiltBinary.vmsnap.path)\" demo --disks 2'"
        let session = try TmuxSession(
            command: wrapped(command, in: directory), width: 90, height: 26,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        defer { session.kill() }
        #expect(session.wait(for: "previous job").met)
        let pid = try #require(
            waitForFile(directory.appendingPathComponent("pid")).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        #expect(kill(pid, SIGTERM) == 0)
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "143\n", "re-raised SIGTERM: 128 + 15")
        let before = try String(contentsOf: directory.appendingPathComponent("before"), encoding: .utf8)
        #expect(waitForFile(directory.appendingPathComponent("after")) == before)
        #expect(session.wait(for: "previous job", timeout: 1).met == false, "the alternate screen was left")
    }

    @Test func endsWhenItsTerminalGoesAway() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let command = "sh -c 'echo $$ > \(directory.path)/pid; exec \"\(BuiltBinary.vmsnap.path)\" demo --disks 1'"
        let session = try TmuxSession(
            command: command, width: 90, height: 26,
            environment: ["TERM": "xterm-256color", "LANG": "C.UTF-8", "TMPDIR": directory.path])
        #expect(session.wait(for: "previous job").met)
        let pid = try #require(
            waitForFile(directory.appendingPathComponent("pid")).flatMap {
                Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        session.kill()
        let deadline = Date().addingTimeInterval(5)
        while kill(pid, 0) == 0, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(kill(pid, 0) != 0, "the dashboard exits when its terminal is closed (no spinning on a dead tty)")
    }

    @Test func refusesWithoutATerminalOrWithDumbTerm() async throws {
        let piped = try await BuiltBinary.run(["monitor", "--plugin-dir", "/nonexistent"])
        #expect(piped.status == 2)
        #expect(piped.stderr.contains("not a terminal") && piped.stderr.contains("vmsnap status --once"))

        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = try TmuxSession(
            command: wrapped("'\(BuiltBinary.vmsnap.path)' demo", in: directory), width: 100, height: 20,
            environment: ["TERM": "dumb"])
        defer { session.kill() }
        #expect(session.wait(for: "TERM is 'dumb'").met)
        #expect(waitForFile(directory.appendingPathComponent("exit")) == "2\n")
    }

    @Test func statusOnceExitStatusFollowsHealth() async throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("status"), withIntermediateDirectories: true)
        try StatusDocumentFixtures.data(StatusDocumentFixtures.peerStatusFile).write(
            to: directory.appendingPathComponent("status/4.status"))
        let options = ["--plugin-dir", directory.path, "--log-dir", directory.path]
        let success = try await BuiltBinary.run(["status", "--once", "--json"] + options)
        #expect(success.status == 0)
        #expect(success.stdout.contains(#""schema" : "vmsnap.status/3""#))
        #expect(success.stdout.contains(#""verdict" : "succeeded""#))
        try StatusDocumentFixtures.data(StatusDocumentFixtures.partialFailure).write(
            to: directory.appendingPathComponent("status/5.status"))
        let failed = try await BuiltBinary.run(["status", "--once"] + options)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("FailedRetryableSnapshotFailedRestrictedNetwork"))
        let missingFlag = try await BuiltBinary.run(["status"] + options)
        #expect(missingFlag.status != 0 && missingFlag.stderr.contains("--once"))
        let tooFast = try await BuiltBinary.run(["status", "--once", "--interval", "0.5"] + options)
        #expect(tooFast.status == 64 && tooFast.stderr.contains("--interval: expected 1 to 3600"), "\(tooFast.stderr)")
    }

    @Test func aStatusBlobOverPlainHTTPToARemoteHostIsRefusedBeforeAnyRequest() async throws {
        let uri = "http://example.invalid/acct/c/status.txt?sv=2014-02-14&sr=b&sig=QASECRETSIG&sp=r"
        for command in [["status", "--once"], ["monitor"]] {
            let output = try await BuiltBinary.run(command + ["--status-blob", uri, "--plugin-dir", "/nonexistent"])
            #expect(output.status == 64, "\(command): \(output.stderr)")
            #expect(output.stderr.contains("https") && output.stderr.contains("example.invalid"), "\(output.stderr)")
            #expect(!(output.stdout + output.stderr).contains("QASECRETSIG"))
        }
    }

    @Test func aStatusBlobThatCannotBeReadOrHasExpiredIsRefusedBeforeAnyRequest() async throws {
        let writeOnly = "http://127.0.0.1:9/acct/c/status.txt?sv=2014-02-14&sr=b&sp=w&se=2099-01-01&sig=QASECRET2"
        let expired = "http://127.0.0.1:9/acct/c/status.txt?sv=2014-02-14&sr=b&sp=r&se=2001-01-01&sig=QASECRET3"
        for (uri, expected) in [(writeOnly, "sp=w"), (expired, "expired")] {
            let output = try await BuiltBinary.run([
                "status", "--once", "--status-blob", uri, "--plugin-dir", "/nonexistent",
            ])
            #expect(output.status == 64, "\(output.stderr)")
            #expect(output.stderr.contains(expected), "\(output.stderr)")
            #expect(!(output.stdout + output.stderr).contains("QASECRET"))
        }
    }
}
