import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's guest agent (waagent 2.7.3, unpacked under `.build/waagent` by scripts/install-test-tools) running its
/// extension handler in a scratch folder against the fake WireServer of Tests/EndToEndTests/Agent/Sandbox, on a
/// loopback address of its own. The agent installs and enables the extension package it is given; its status
/// uploads, the commands it ran and what the sandbox refused are read back from the folder.
public final class GuestAgentSandbox: @unchecked Sendable {
    public let directory: URL
    /// The loopback address (127.42.x.y) serving as WireServer, HostGAPlugin and IMDS.
    public let address: String
    /// The agent's enable timeout in this sandbox (the agent hard-codes 300 s).
    public let enableTimeoutSeconds: Int
    /// The certificate the fake delivers to the agent: protected settings are encrypted to it.
    public let tenant: TestCertificate
    /// The extension's version in the goal state.
    public static let version = "1.0.9999.0"
    public static let handlerName = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
    private var process: Process?
    private let package: URL

    /// Makes the folder and the tenant certificate; `package` is the extension zip the agent downloads.
    public init(package: URL, enableTimeoutSeconds: Int) throws {
        directory = try SettingsFixtures.temporaryDirectory("agent-sandbox")
        self.package = package
        self.enableTimeoutSeconds = enableTimeoutSeconds
        address = "127.42.\(Int.random(in: 1...254)).\(Int.random(in: 1...254))"
        let tenantFolder = directory.appendingPathComponent("tenant")
        try FileManager.default.createDirectory(at: tenantFolder, withIntermediateDirectories: true)
        tenant = try TestCertificate.generate(in: tenantFolder, commonName: "vmsnap-tenant")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
    }

    private var state: URL { directory.appendingPathComponent("state") }
    /// Lib.Dir: the agent's folder, where it leaves `<THUMBPRINT>.crt/.prv`.
    public var libDirectory: URL { directory.appendingPathComponent("lib") }
    /// The extension's handler directory, once the agent installed it.
    public var handlerDirectory: URL { libDirectory.appendingPathComponent("\(Self.handlerName)-\(Self.version)") }

    /// Publishes a goal state: the agent picks it up at its next poll (every 6 s).
    public func publish(incarnation: Int, sequenceNumber: Int, handlerSettings: [String: Any]) throws {
        let goal: [String: Any] = [
            "incarnation": incarnation, "seqNo": sequenceNumber, "settings": handlerSettings,
            "version": Self.version, "zip": package.path,
            "tenantCertificate": try String(contentsOf: tenant.certificatePEM, encoding: .utf8),
            "tenantKey": try String(contentsOf: tenant.keyPEM, encoding: .utf8),
        ]
        let temporary = state.appendingPathComponent("goalstate.json.tmp")
        try JSONSerialization.data(withJSONObject: goal).write(to: temporary)
        guard rename(temporary.path, state.appendingPathComponent("goalstate.json").path) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// Starts the agent (publish a goal state first).
    public func start() throws {
        let scripts = BuiltBinary.packageRoot.appendingPathComponent("Tests/EndToEndTests/Agent/Sandbox")
        let packages = BuiltBinary.packageRoot.appendingPathComponent(".build/waagent/usr/lib/python3/dist-packages")
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            scripts.appendingPathComponent("agent_sandbox.py").path, directory.path, address,
            String(enableTimeoutSeconds),
        ]
        // As `env -i`: no proxy variables, nothing of the test's environment; the extension's commands inherit the
        // agent's: no instance metadata service, no metrics in the machine's node_exporter folder.
        process.environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TMPDIR": temporary.path, "PYTHONPATH": packages.path,
            "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8", "VMSNAP_IMDS_ADDRESS": "off",
            "VMSNAP_METRICS_DIR": "off",
        ]
        let log = directory.appendingPathComponent("agent.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
    }

    /// The agent's status uploads so far: when each arrived and the document.
    public func uploads() -> [(time: Date, document: [String: Any])] {
        lines("uploads.jsonl").compactMap { line in
            guard let time = line["time"] as? Double, let document = line["document"] as? [String: Any] else {
                return nil
            }
            return (Date(timeIntervalSince1970: time), document)
        }
    }

    /// The commands the agent ran (install, enable, ...) with their start and end times.
    public func commands() -> [(name: String, sequenceNumber: String?, started: Date, ended: Date)] {
        lines("commands.jsonl").compactMap { line in
            guard let name = line["command"] as? String, let started = line["started"] as? Double,
                let ended = line["ended"] as? Double
            else { return nil }
            return (
                name, line["sequenceNumber"] as? String, Date(timeIntervalSince1970: started),
                Date(timeIntervalSince1970: ended)
            )
        }
    }

    /// What the agent reported for the extension in an upload: handler status, code and message, sequence number,
    /// extension status and code.
    public struct ExtensionReport: Sendable, Equatable {
        public var handlerStatus: String
        public var handlerCode: Int
        public var handlerMessage: String
        public var sequenceNumber: Int
        public var status: String
        public var code: Int
    }

    /// The extension's part of an upload, nil when it has none (yet).
    public static func report(_ upload: (time: Date, document: [String: Any])) -> ExtensionReport? {
        guard let aggregate = upload.document["aggregateStatus"] as? [String: Any],
            let handler = (aggregate["handlerAggregateStatus"] as? [[String: Any]])?.first,
            let runtime = handler["runtimeSettingsStatus"] as? [String: Any],
            let settings = runtime["settingsStatus"] as? [String: Any],
            let status = settings["status"] as? [String: Any]
        else { return nil }
        return ExtensionReport(
            handlerStatus: handler["status"] as? String ?? "", handlerCode: handler["code"] as? Int ?? -1,
            handlerMessage: (handler["formattedMessage"] as? [String: Any])?["message"] as? String ?? "",
            sequenceNumber: runtime["sequenceNumber"] as? Int ?? -1, status: status["status"] as? String ?? "",
            code: status["code"] as? Int ?? Int(status["code"] as? String ?? "") ?? -1)
    }

    /// Waits (at most `timeout`) for the first upload reporting a terminal extension status (success or error) for
    /// `sequenceNumber`.
    public func terminalReport(sequenceNumber: Int, timeout: Duration = .seconds(90)) async -> ExtensionReport? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let reports = uploads().compactMap(Self.report)
            if let found = reports.first(where: {
                $0.sequenceNumber == sequenceNumber && ["success", "error"].contains($0.status)
            }) {
                return found
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    /// What the sandbox's audit hook refused (writes, deletes, kills or connections outside the sandbox).
    public var refused: String {
        (try? String(contentsOf: state.appendingPathComponent("refused.log"), encoding: .utf8)) ?? ""
    }

    /// The agent's own log.
    public var agentLog: String {
        (try? String(contentsOf: directory.appendingPathComponent("waagent.log"), encoding: .utf8)) ?? ""
    }

    /// Stops the agent (SIGKILL: its SIGTERM handler waits for its threads) and removes the folder.
    public func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private func lines(_ name: String) -> [[String: Any]] {
        let text = (try? String(contentsOf: state.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
