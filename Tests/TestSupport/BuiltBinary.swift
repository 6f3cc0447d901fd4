import Foundation

/// Locates and runs the built `vmsnap` executable for end-to-end tests.
public enum BuiltBinary {
    /// The `vmsnap` binary next to the test bundle (`swift build --build-tests` builds it there). Every process the
    /// tests start (and their children) runs with the host snapshot path off (`VMSNAP_WIRESERVER=off`) unless a
    /// test names a WireServer: a test on an Azure VM must never reach the real one.
    public static var vmsnap: URL {
        _ = hostPathOff
        if let explicit = ProcessInfo.processInfo.environment["VMSNAP_BINARY"] {
            return URL(fileURLWithPath: explicit)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vmsnap")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(
            ".build/debug/vmsnap")
    }

    /// Sets `VMSNAP_WIRESERVER=off` in this process's environment, once (unless a test run set it already).
    private static let hostPathOff: Void = { setenv("VMSNAP_WIRESERVER", "off", 0) }()

    /// The package's root folder (where Package.swift is).
    public static var packageRoot: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    /// Runs `vmsnap` with arguments and waits; returns exit status, stdout and stderr. The instance metadata service
    /// is off (`VMSNAP_IMDS_ADDRESS=off`) unless `environment` names a stand-in, and so are metrics without
    /// `--metrics-dir` (`VMSNAP_METRICS_DIR=off`).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        currentDirectory: URL? = nil
    ) async throws -> ProcessOutput {
        // The instance metadata service is never asked from a test (a test that wants it names a stand-in), and
        // no job writes into the machine's node_exporter folder (a test that wants metrics gives --metrics-dir).
        try await ProcessOutput.run(
            vmsnap, arguments,
            environment: ["VMSNAP_IMDS_ADDRESS": "off", "VMSNAP_METRICS_DIR": "off"].merging(environment) { $1 },
            stdin: stdin,
            currentDirectory: currentDirectory)
    }
}

/// What a finished child process printed and how it exited.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// Runs an executable to completion, capturing both output streams. The waiting happens on a thread of its own:
    /// a test that waits must not hold one of the few threads of the cooperative pool that the other tests' timers
    /// and emulators run on (with 2 cores, two waiting tests starved every other test of the run).
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        currentDirectory: URL? = nil
    ) async throws -> ProcessOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(
                    with: Result {
                        try runWaiting(
                            executable, arguments, environment: environment, stdin: stdin,
                            currentDirectory: currentDirectory)
                    })
            }.start()
        }
    }

    /// `run` for synchronous teardown (`defer`, `deinit`): it holds the calling thread until the child has exited.
    public static func runWaiting(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], stdin: String? = nil,
        currentDirectory: URL? = nil
    ) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Both streams at once: a child that fills the stderr pipe before writing stdout must not deadlock.
        let errorReader = StreamReader(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errorReader.wait()
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class StreamReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }.start()
    }

    /// Everything the pipe carried, once it closed.
    func wait() -> Data {
        done.wait()
        return data
    }
}
