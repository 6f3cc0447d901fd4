import Foundation
import NIOHTTP1
import Synchronization

/// The WireServer's backup host service as the emulator plays it: `presnapshot` answers the host's clock (and the
/// ADE facts when asked), `dosnapshot` snapshots the VM's disks in the emulator's own blob store and answers one
/// `snapshotInfo` entry per disk (a `ddSnapshotIdentifier` for DirectDrive disks).
final class HostService: Sendable {
    /// Where the two calls live.
    static let prefix = "/metadata/recsvc/snapshot/"

    private struct State {
        var vm: HostVM?
        /// `scheme://host:port` of the emulator, once bound.
        var baseURL = "http://127.0.0.1"
        var snapshots: [HostSnapshotRecord] = []
    }

    private let service: BlobService
    private let state: Mutex<State>

    init(service: BlobService, vm: HostVM?) {
        self.service = service
        state = Mutex(State(vm: vm))
    }

    func setVM(_ vm: HostVM?) { state.withLock { $0.vm = vm } }
    func setBaseURL(_ url: String) { state.withLock { $0.baseURL = url } }
    var snapshots: [HostSnapshotRecord] { state.withLock { $0.snapshots } }

    /// The host call a request makes; nil for any other path or method.
    static func operation(_ request: ServiceRequest) -> BlobOperation? {
        guard request.method == "POST", request.rawPath.hasPrefix(prefix) else { return nil }
        switch request.rawPath.dropFirst(prefix.count) {
        case "presnapshot": return .presnapshot
        case "dosnapshot": return .dosnapshot
        default: return nil
        }
    }

    /// Serves a host call; `diskFault` says which disks' entries fail.
    func handle(
        _ request: ServiceRequest, operation: BlobOperation,
        diskFault: (HostVM.Disk) -> (status: Int, code: String)?
    ) -> ServiceResponse {
        guard let body = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
            body["taskId"] is String
        else { return Self.error(400, "InvalidRequestBody", "expected a JSON object with a taskId") }
        guard let vm = state.withLock({ $0.vm }) else {
            return Self.error(404, "VMNotRegistered", "no VM is registered with this host (configure the host VM)")
        }
        if operation == .presnapshot { return presnapshot(body, vm: vm) }
        return dosnapshot(body, vm: vm, diskFault: diskFault)
    }

    private func presnapshot(_ body: [String: Any], vm: HostVM) -> ServiceResponse {
        let now = Date().addingTimeInterval(TimeInterval(vm.clockOffsetSeconds))
        let parts = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(identifier: "UTC")!, from: now)
        var answer: [String: Any] = [
            "bhsVersion": "vmsnap-emulator", "nodeId": "00000000-0000-4000-8000-000000000001", "result": "Success",
            "responseTime": [
                "year": parts.year ?? 0, "month": parts.month ?? 0, "day": parts.day ?? 0, "hour": parts.hour ?? 0,
                "minute": parts.minute ?? 0, "second": parts.second ?? 0,
            ],
        ]
        let settings = body["preSnapshotSettings"] as? [[String: Any]] ?? []
        let adeAsked = settings.contains {
            ($0["Key"] as? String) == "isVMADEEnabled" && ($0["Value"] as? Bool) == true
        }
        if adeAsked {
            let encrypted = vm.diskEncryptionSettings != nil
            answer["isOsDiskADEEncrypted"] = encrypted
            answer["areDataDisksADEEncrypted"] = encrypted
            answer["DiskEncryptionSettings"] = vm.diskEncryptionSettings ?? ""
        }
        return Self.json(200, answer)
    }

    private func dosnapshot(
        _ body: [String: Any], vm: HostVM, diskFault: (HostVM.Disk) -> (status: Int, code: String)?
    ) -> ServiceResponse {
        guard let ids = body["diskIds"] as? [Int], let metadata = body["snapshotMetadata"] as? [[String: Any]] else {
            return Self.error(400, "InvalidRequestBody", "expected diskIds (integers) and snapshotMetadata")
        }
        let instantAccess = body["instantAccessDurationMinutes"] as? Int
        let chosen: [(Int, HostVM.Disk?)] =
            ids.isEmpty ? vm.disks.map { ($0.lun, $0) } : ids.map { id in (id, vm.disks.first { $0.lun == id }) }
        var headers = HTTPHeaders()
        for entry in metadata {
            if let key = entry["Key"] as? String, let value = entry["Value"] as? String {
                headers.add(name: "x-ms-meta-\(key)", value: value)
            }
        }
        let baseURL = state.withLock { $0.baseURL }
        var entries: [[String: Any]] = []
        for (lun, disk) in chosen {
            guard let disk else {
                entries.append(Self.failed(404, "no disk at LUN \(lun)"))
                continue
            }
            if let fault = diskFault(disk) {
                entries.append(Self.failed(fault.status, ServiceError.standardMessage(for: fault.code)))
                continue
            }
            let blobURL = "\(baseURL)/\(disk.account)/\(disk.container)/\(disk.blob)"
            let request = ServiceRequest(
                method: "PUT", uri: "/\(disk.account)/\(disk.container)/\(disk.blob)?comp=snapshot", headers: headers,
                body: [], clientAddress: nil)
            let context = OperationContext(request: request, version: "2018-03-28", ticks: Timestamps.nowTicks())
            do throws(ServiceError) {
                let response = try service.snapshot(context)
                let time = response.headers.first { $0.0 == "x-ms-snapshot" }?.1 ?? ""
                var record = HostSnapshotRecord(
                    lun: lun, container: disk.container, blob: disk.blob, snapshotTime: time, directDriveID: nil)
                if disk.directDrive {
                    let id = UUID().uuidString
                    record.directDriveID = id
                    entries.append([
                        "isSuccessful": "true", "snapshotUri": "\(blobURL)/snapshots?snapshotId=\(id)",
                        "errorMessage": "",
                        "statusCode": 200,
                        "ddSnapshotIdentifier": [
                            "creationTime": time, "id": id, "token": Self.token(),
                            "instantAccessDurationMinutes": instantAccess.map { $0 as Any } ?? NSNull(),
                        ] as [String: Any],
                    ])
                } else {
                    entries.append([
                        "isSuccessful": "true", "snapshotUri": "\(blobURL)?snapshot=\(time)", "errorMessage": "",
                        "statusCode": 201, "ddSnapshotIdentifier": NSNull(),
                    ])
                }
                state.withLock { $0.snapshots.append(record) }
            } catch {
                entries.append(Self.failed(error.status, error.message))
            }
        }
        return Self.json(200, ["snapshotInfo": entries])
    }

    /// A failed `snapshotInfo` entry.
    private static func failed(_ status: Int, _ message: String) -> [String: Any] {
        [
            "isSuccessful": "false", "snapshotUri": NSNull(), "errorMessage": message, "statusCode": status,
            "ddSnapshotIdentifier": NSNull(),
        ]
    }

    /// A DirectDrive snapshot token: 48 random bytes, base64url.
    private static func token() -> String {
        let bytes = (0..<48).map { _ in UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The host's own error: JSON starting `{ "error"`.
    static func error(_ status: Int, _ code: String, _ message: String) -> ServiceResponse {
        let text =
            #"{ "error": { "code": "\#(code)", "message": "\#(message.replacingOccurrences(of: "\"", with: "'"))" } }"#
        return ServiceResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }

    private static func json(_ status: Int, _ object: [String: Any]) -> ServiceResponse {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return ServiceResponse(status: status, headers: [("Content-Type", "application/json")], body: [UInt8](data))
    }

    /// The body a journal keeps: snapshotTaskToken and DiskEncryptionSettings values replaced by REDACTED.
    static func journalBody(_ bytes: [UInt8]) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return "(\(bytes.count) bytes, not a JSON object)"
        }
        if object["snapshotTaskToken"] != nil { object["snapshotTaskToken"] = "REDACTED" }
        if let metadata = object["snapshotMetadata"] as? [[String: Any]] {
            object["snapshotMetadata"] = metadata.map { entry -> [String: Any] in
                var entry = entry
                if entry["Key"] as? String == "DiskEncryptionSettings" { entry["Value"] = "REDACTED" }
                return entry
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
