import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A system call that failed: which one, on what, and its `errno`. The one error type of `FileDescriptor`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call and its object, e.g. "open /etc/azure/vmbackup.conf" or "FIFREEZE /mnt/data".
    public var operation: String
    /// The `errno` value.
    public var number: Int32

    public init(_ operation: String, number: Int32 = errno) {
        self.operation = operation
        self.number = number
    }

    /// "open /x: No such file or directory".
    public var description: String { "\(operation): \(Self.text(number))" }

    /// Whether the call failed because the object does not exist.
    public var isNotFound: Bool { number == ENOENT }

    /// `strerror` text for an errno value.
    public static func text(_ number: Int32) -> String { String(cString: strerror(number)) }
}

/// Runs a system call, again while a signal interrupts it (EINTR); a -1 result is thrown as `SystemError`.
@inline(__always)
public func retryingOnInterrupt<Result: FixedWidthInteger>(
    _ operation: @autoclosure () -> String, _ call: () -> Result
) throws(SystemError) -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let number = errno
        if number != EINTR { throw SystemError(operation(), number: number) }
    }
}
