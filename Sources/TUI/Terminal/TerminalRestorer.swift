import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Puts the terminal back (saved termios, leave the alternate screen, show the cursor) from a signal handler,
/// then re-raises the signal with the previous disposition so the default action or crash report still happens.
enum TerminalRestorer {
    /// Termination and crash signals that must not leave the terminal raw.
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

    /// Records the terminal modes and signal dispositions as they are before curses changes them (curses installs
    /// its own SIGINT/SIGTERM handlers, which would exit(1) instead of re-raising).
    static func saveOriginalState(terminalDescriptor: Int32) {
        let state = RestoreState.shared
        state.descriptor = terminalDescriptor
        _ = tcgetattr(terminalDescriptor, state.termios)
        for signal in signals { _ = sigaction(signal, nil, state.previous + Int(signal)) }
    }

    /// Installs the handlers (after `saveOriginalState`); `sequence` is written before the modes are restored.
    static func install(sequence: [UInt8]) {
        let state = RestoreState.shared
        state.sequenceCount = min(sequence.count, RestoreState.sequenceCapacity)
        for (i, byte) in sequence.prefix(state.sequenceCount).enumerated() { state.sequence[i] = byte }
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = restoreAndReraise
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(signal, &action, nil)
        }
        state.installed = true
    }

    /// Puts the original dispositions back (after a normal `endwin`).
    static func uninstall() {
        let state = RestoreState.shared
        guard state.installed else { return }
        for signal in signals { _ = sigaction(signal, state.previous + Int(signal), nil) }
        state.installed = false
    }
}

/// Memory the signal handler reads: allocated once, never freed, touched without locks or allocation.
private final class RestoreState: @unchecked Sendable {
    static let shared = RestoreState()
    static let sequenceCapacity = 256

    var descriptor: Int32 = 1
    let termios = UnsafeMutablePointer<Glibc.termios>.allocate(capacity: 1)
    let sequence = UnsafeMutablePointer<UInt8>.allocate(capacity: sequenceCapacity)
    var sequenceCount = 0
    let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    var installed = false

    private init() {
        termios.initialize(to: Glibc.termios())
        previous.initialize(repeating: sigaction(), count: 65)
    }
}

/// The handler: async-signal-safe calls only (write, tcsetattr, sigaction, raise).
private func restoreAndReraise(_ signal: Int32) {
    let state = RestoreState.shared
    _ = write(state.descriptor, state.sequence, state.sequenceCount)
    _ = tcsetattr(state.descriptor, TCSANOW, state.termios)
    _ = sigaction(signal, state.previous + Int(signal), nil)
    _ = raise(signal)
}
