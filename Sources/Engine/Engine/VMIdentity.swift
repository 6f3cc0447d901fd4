import Basics
import Foundation

/// Which VM this is, to notice a VM restored from a backup or cloned (its disks carry the old VM's ledger): the
/// SMBIOS UUID (Azure's vmId) when readable, else the role instance the guest agent's goal state names.
public enum VMIdentity {
    /// Where Linux exposes the SMBIOS system UUID (readable by root).
    public static let smbiosUUIDPath = "/sys/class/dmi/id/product_uuid"

    /// `smbios:<uuid>`, else `role-instance:<InstanceId>` from the agent's newest `GoalState.<incarnation>.xml` in
    /// `agentDirectory`, else nil (no identity check).
    public static func current(agentDirectory: String, smbiosPath: String = smbiosUUIDPath) -> String? {
        if let uuid = read(smbiosPath), !uuid.isEmpty { return "smbios:\(uuid.lowercased())" }
        return roleInstance(agentDirectory: agentDirectory).map { "role-instance:\($0)" }
    }

    /// `<InstanceId>` of the goal state of the incarnation in the agent's `Incarnation` file.
    static func roleInstance(agentDirectory: String) -> String? {
        let directory = agentDirectory as NSString
        guard let incarnation = read(directory.appendingPathComponent("Incarnation")),
            let goalState = read(directory.appendingPathComponent("GoalState.\(incarnation).xml")),
            let start = goalState.range(of: "<InstanceId>"),
            let end = goalState.range(of: "</InstanceId>", range: start.upperBound..<goalState.endIndex)
        else { return nil }
        let value = goalState[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }

    private static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
