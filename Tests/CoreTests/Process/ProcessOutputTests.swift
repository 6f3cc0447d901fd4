import Foundation
import TestSupport
import Testing

@Suite struct ProcessOutputTests {
    /// A child that fills its stderr pipe before it writes stdout: both streams are read at once, no deadlock.
    @Test(.timeLimit(.minutes(1))) func readsBothStreamsAtOnce() async throws {
        let output = try await ProcessOutput.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "head -c 300000 /dev/zero | tr '\\0' e >&2; echo done"])
        #expect(output.status == 0)
        #expect(output.stdout == "done\n")
        #expect(output.stderr.utf8.count == 300_000)
    }
}
