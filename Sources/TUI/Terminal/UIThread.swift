import Foundation

extension CursesTerminal {
    /// Takes over the terminal and runs `loop` on it on a dedicated UI thread (so poll(2) never blocks the
    /// cooperative pool); returns once the loop ended and the terminal was given back.
    static func takeOver(
        environment: [String: String], palette: Palette, _ loop: @escaping @Sendable (CursesTerminal) -> Void
    ) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread {
                do {
                    let terminal = try CursesTerminal(environment: environment, palette: palette)
                    defer { terminal.stop() }
                    loop(terminal)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.name = "vmsnap-ui"
            thread.start()
        }
    }
}
