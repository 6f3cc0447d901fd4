import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `vmsnap emulator serve` in a process of its own, for benchmarks whose CPU and memory figures must not include
/// the emulator's: started on a free loopback port, stopped with SIGTERM.
public struct EmulatorChild: Sendable {
    /// The port it listens on.
    public let port: Int
    private let process: ChildProcess

    /// Starts this executable's emulator with `containers` created; returns once it listens.
    public static func start(containers: [String]) throws -> EmulatorChild {
        let output = try PipeDescriptors()
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                executable: "/proc/self/exe",
                arguments: ["emulator", "serve", "--host", "127.0.0.1", "--port", "0"]
                    + containers.flatMap { ["--container", $0] },
                standardOutput: output.write)
        } catch {
            output.closeBoth()
            throw error
        }
        output.write.close()
        defer { output.read.close() }
        // The banner's first line: "vmsnap emulator listening on http://127.0.0.1:PORT (port PORT; ...".
        var banner: [UInt8] = []
        while !banner.contains(UInt8(ascii: "\n")), let chunk = try? output.read.read(upToCount: 512), !chunk.isEmpty {
            banner += chunk
        }
        let line = String(decoding: banner, as: UTF8.self)
        guard let range = line.range(of: "(port "),
            let port = Int(line[range.upperBound...].prefix(while: \.isNumber))
        else {
            kill(process.pid, SIGKILL)
            process.waitForExit()
            throw EmulatorChildError(banner: line)
        }
        return EmulatorChild(port: port, process: process)
    }

    /// Stops the emulator and reaps it.
    public func stop() {
        kill(process.pid, SIGTERM)
        process.waitForExit()
    }
}

/// The emulator child did not announce its port.
public struct EmulatorChildError: Error, CustomStringConvertible {
    public var banner: String
    public var description: String { "the emulator process did not start: '\(banner.prefix(200))'" }
}
