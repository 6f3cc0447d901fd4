import Basics
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file all at once: a temporary file in the same folder, flushed to the device, then renamed over the
/// target, so a reader (the guest agent, node_exporter, the dashboard) sees the old file or the new one, never a
/// part, also after a crash.
package enum AtomicFile {
    /// Replaces `path` with `data`; the error names the file and the failed call.
    package static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws(SystemError) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(".\(name).\(getpid()).tmp")
        let descriptor = try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, permissions: mode)
        do throws(SystemError) {
            try descriptor.closeAfter { () throws(SystemError) in
                try descriptor.writeAll(data)
                try descriptor.synchronize()
            }
            _ = try retryingOnInterrupt("rename \(temporary) to \(path)") { rename(temporary, path) }
        } catch {
            unlink(temporary)
            throw SystemError("\(error.operation) (writing \(path))", number: error.number)
        }
    }
}
