/// The VM the emulator's WireServer backup host service snapshots: its disks by LUN, whether ADE is on, and the
/// host's clock.
///
/// JSON form (`vmsnap emulator --host-vm FILE`):
/// `{"disks": [{"lun": -1, "container": "vhds", "blob": "os.vhd"}, {"lun": 0, "container": "vhds",
///   "blob": "data0.vhd", "directDrive": true}], "diskEncryptionSettings": "...", "clockOffsetSeconds": 0}`.
public struct HostVM: Sendable, Equatable, Codable {
    /// One disk of the VM: a page blob of the emulator's store.
    public struct Disk: Sendable, Equatable, Codable {
        /// The LUN; -1 is the OS disk.
        public var lun: Int
        public var account: String
        public var container: String
        public var blob: String
        /// A DirectDrive disk (Ultra Disk, Premium SSD v2): its snapshot is answered with a ddSnapshotIdentifier.
        public var directDrive: Bool

        public init(
            lun: Int, account: String = EmulatorConfiguration.developmentAccount, container: String, blob: String,
            directDrive: Bool = false
        ) {
            self.lun = lun
            self.account = account
            self.container = container
            self.blob = blob
            self.directDrive = directDrive
        }

        private enum CodingKeys: String, CodingKey {
            case lun, account, container, blob, directDrive
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            lun = try c.decode(Int.self, forKey: .lun)
            guard (-1...63).contains(lun) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .lun, in: c, debugDescription: "expected -1 (OS disk) to 63, got \(lun)")
            }
            account = try c.decodeIfPresent(String.self, forKey: .account) ?? EmulatorConfiguration.developmentAccount
            container = try c.decode(String.self, forKey: .container)
            blob = try c.decode(String.self, forKey: .blob)
            directDrive = try c.decodeIfPresent(Bool.self, forKey: .directDrive) ?? false
        }
    }

    public var disks: [Disk]
    /// Azure Disk Encryption's settings reference: presnapshot returns it when asked with isVMADEEnabled; nil: ADE off.
    public var diskEncryptionSettings: String?
    /// How far the host's clock is ahead of this machine's (presnapshot's responseTime).
    public var clockOffsetSeconds: Int

    public init(disks: [Disk], diskEncryptionSettings: String? = nil, clockOffsetSeconds: Int = 0) {
        self.disks = disks
        self.diskEncryptionSettings = diskEncryptionSettings
        self.clockOffsetSeconds = clockOffsetSeconds
    }

    private enum CodingKeys: String, CodingKey {
        case disks, diskEncryptionSettings, clockOffsetSeconds
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        disks = try c.decode([Disk].self, forKey: .disks)
        diskEncryptionSettings = try c.decodeIfPresent(String.self, forKey: .diskEncryptionSettings)
        clockOffsetSeconds = try c.decodeIfPresent(Int.self, forKey: .clockOffsetSeconds) ?? 0
        guard Set(disks.map(\.lun)).count == disks.count else {
            throw DecodingError.dataCorruptedError(
                forKey: .disks, in: c, debugDescription: "expected each LUN once")
        }
    }
}

/// One snapshot the emulator's host took, for tests to read back.
public struct HostSnapshotRecord: Sendable, Equatable {
    public var lun: Int
    public var container: String
    public var blob: String
    /// The snapshot's time in the blob store (`x-ms-snapshot`).
    public var snapshotTime: String
    /// The DirectDrive snapshot id, for a DirectDrive disk.
    public var directDriveID: String?
}
