import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Messages for `errno` values.
package enum SystemError {
    /// `strerror` text for an errno value.
    package static func text(_ number: Int32) -> String { String(cString: strerror(number)) }
}
