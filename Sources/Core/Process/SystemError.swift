import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Messages for `errno` values.
enum SystemError {
    /// `strerror` text for an errno value.
    static func text(_ number: Int32) -> String { String(cString: strerror(number)) }
}
