import Emulator
import Testing

@Suite struct LifecycleTests {
    /// Concurrent starts: exactly one binds; every other call answers the same port or `startInProgress`,
    /// and after one stop nothing is left serving.
    @Test func concurrentStartsBindOnce() async throws {
        for _ in 0..<20 {
            let emulator = BlobEmulator(configuration: EmulatorConfiguration(host: "127.0.0.1", port: 0))
            let outcomes = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do { return .success(try await emulator.start()) } catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let ports = Set(outcomes.compactMap { try? $0.get() })
            #expect(ports.count == 1, "every successful start answers the one bound port, got \(ports.sorted())")
            for case .failure(let error) in outcomes {
                #expect(error as? BlobEmulatorError == .startInProgress)
            }
            #expect(ports.first == emulator.port)
            try await emulator.stop()
            #expect(emulator.port == 0)
        }
    }

    /// A start after a stop binds again.
    @Test func restartAfterStop() async throws {
        let emulator = BlobEmulator(configuration: EmulatorConfiguration(host: "127.0.0.1", port: 0))
        let first = try await emulator.start()
        #expect(try await emulator.start() == first)
        try await emulator.stop()
        let second = try await emulator.start()
        #expect(second > 0)
        try await emulator.stop()
    }
}
