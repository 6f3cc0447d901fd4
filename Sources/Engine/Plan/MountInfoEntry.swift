import Basics
import Foundation

/// One line of /proc/self/mountinfo, the fields mount discovery needs.
public struct MountInfoEntry: Sendable, Equatable {
    /// `major:minor` of the filesystem's device.
    public var device: String
    /// The directory of the filesystem mounted here (not `/` for bind mounts of a subdirectory).
    public var root: String
    public var mountPoint: String
    public var filesystemType: String
    public var source: String

    /// Parses one mountinfo line; nil when it is malformed.
    public init?(line: Substring) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 10, let separator = fields.firstIndex(of: "-"), separator >= 6,
            separator + 2 < fields.count
        else { return nil }
        device = String(fields[2])
        root = Self.unescape(fields[3])
        mountPoint = Self.unescape(fields[4])
        filesystemType = String(fields[separator + 1])
        source = Self.unescape(fields[separator + 2])
    }

    /// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        var characters = Array(field.utf8)[...]
        while let byte = characters.popFirst() {
            if byte == UInt8(ascii: "\\"), characters.count >= 3,
                let value = UInt8(String(decoding: characters.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                characters = characters.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
