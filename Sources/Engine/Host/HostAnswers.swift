import Basics
import Foundation

/// A presnapshot's 200/201 answer: the host's clock and, with ADE, the encryption facts.
struct PresnapshotAnswer: Sendable, Equatable {
    /// `responseTime`: the host's UTC clock in whole seconds.
    var hostTime: Date?
    var encryption: HostEncryption?

    /// Reads the answer; nil when the body is not a JSON object.
    init?(_ body: Data) {
        guard let value = try? JSONValue.parse(body), case .object(let members) = value else { return nil }
        if case .object(let time) = members["responseTime"] {
            func part(_ key: String) -> Int? {
                if case .integer(let number) = time[key] { return Int(exactly: number) }
                return nil
            }
            var components = DateComponents()
            components.timeZone = TimeZone(identifier: "UTC")
            components.year = part("year")
            components.month = part("month")
            components.day = part("day")
            components.hour = part("hour")
            components.minute = part("minute")
            components.second = part("second")
            if [components.year, components.month, components.day].allSatisfy({ $0 != nil }) {
                hostTime = Calendar(identifier: .gregorian).date(from: components)
            }
        }
        func flag(_ key: String) -> Bool? {
            if case .bool(let flag) = members[key] { return flag }
            return nil
        }
        let settings: String? =
            switch members["DiskEncryptionSettings"] {
            case .string(let text): text
            case nil, .null: nil
            case .some(let other): HostJSON.value(other).text
            }
        if flag("isOsDiskADEEncrypted") != nil || flag("areDataDisksADEEncrypted") != nil || settings != nil {
            encryption = HostEncryption(
                osDiskEncrypted: flag("isOsDiskADEEncrypted") ?? false,
                dataDisksEncrypted: flag("areDataDisksADEEncrypted") ?? false, settings: settings ?? "")
        }
    }
}

/// One `snapshotInfo` entry of a dosnapshot answer.
struct HostSnapshotEntry: Sendable, Equatable {
    var succeeded: Bool
    var snapshotURI: String?
    var errorMessage: String
    var statusCode: Int?
    var directDrive: DirectDriveSnapshot?
    /// The DirectDrive snapshot's token (a secret: only the status blob's snapshotInfo carries it).
    var directDriveToken: String?

    /// The entries in the host's order; an entry lacking isSuccessful, snapshotUri, errorMessage or statusCode ends
    /// the list (as the peer reads it). nil when the body is not a JSON object with a snapshotInfo list.
    static func entries(_ body: Data) -> [HostSnapshotEntry]? {
        guard let value = try? JSONValue.parse(body), case .object(let members) = value,
            case .array(let items) = members["snapshotInfo"]
        else { return nil }
        var entries: [HostSnapshotEntry] = []
        for item in items {
            guard case .object(let fields) = item, let success = fields["isSuccessful"],
                let uri = fields["snapshotUri"],
                let message = fields["errorMessage"], let status = fields["statusCode"]
            else { break }
            var entry = HostSnapshotEntry(
                succeeded: success == .string("true") || success == .bool(true),
                snapshotURI: { if case .string(let text) = uri, !text.isEmpty { text } else { nil } }(),
                errorMessage: { if case .string(let text) = message { text } else { "" } }(),
                statusCode: { if case .integer(let code) = status { Int(exactly: code) } else { nil } }())
            if case .object(let identifier) = fields["ddSnapshotIdentifier"] {
                entry.directDrive = DirectDriveSnapshot(identifier)
                if case .string(let token) = identifier["token"] { entry.directDriveToken = token }
            }
            entries.append(entry)
        }
        return entries
    }
}
