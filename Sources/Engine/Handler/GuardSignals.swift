import Basics
import CVMSnapSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The write end of a guard process's wake-up pipe, for its signal handlers (which cannot capture context).
nonisolated(unsafe) private var guardWakeDescriptor: Int32 = -1

/// How a guard process (the freeze guard, the database guard) hears signals: each handled signal's number is
/// written to a wake-up pipe its poll loop watches, and the job's death arrives as `parentDeath`.
enum GuardSignals {
    /// The parent-death signal; also raised if the spawning thread (not the process) exits, hence the ppid check.
    static let parentDeath = SIGUSR1
    static let handled = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, parentDeath]

    /// Makes the wake-up pipe and installs the handlers; nil when no pipe could be made. Exits the process at once
    /// when the job `parentPID` already died (before the parent-death signal was armed).
    static func install(parentPID: pid_t) -> PipeDescriptors? {
        signal(SIGPIPE, SIG_IGN)
        guard let wake = try? PipeDescriptors() else { return nil }
        wake.write.setNonBlocking()
        guardWakeDescriptor = wake.write.rawValue
        for signalNumber in handled {
            signal(signalNumber) { number in
                // A signal handler may only make async-signal-safe calls: the bare write(2), nothing of Swift's.
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(guardWakeDescriptor, &byte, 1)
            }
        }
        _ = vmsnap_set_parent_death_signal(parentDeath)
        guard getppid() == parentPID else { exit(0) }
        return wake
    }

    /// The signal a byte from the wake-up pipe reports, when it asks the guard to stop: any handled signal but a
    /// parent-death signal raised while the job still lives (its spawning thread ended, not the job).
    static func stopSignal(_ byte: UInt8, parentPID: pid_t) -> Int32? {
        guard byte != 0 else { return nil }
        let number = Int32(byte)
        return number == parentDeath && getppid() == parentPID ? nil : number
    }
}
