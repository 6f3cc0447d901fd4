import ArgumentParser
import Core

/// The `vmsnap` command: snapshot core, dashboard, emulator and tools.
@main
struct VMSnap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmsnap",
        abstract: "Azure VM snapshot extension core and operator dashboard.",
        version: ExtensionIdentity.version,
        subcommands: [
            ConfigCommand.self, SnapshotCommand.self, HandlerCommand.self, MonitorCommand.self,
            StatusCommand.self, HistoryCommand.self, MetricsCommand.self, FleetCommand.self, DemoCommand.self,
            EmulatorCommand.self,
            BenchCommand.self,
            FreezeGuardCommand.self, DatabaseGuardCommand.self,
        ])
}

/// `vmsnap bench ...`: benchmarks whose figures go into the README.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure vmsnap's performance targets.",
        subcommands: [
            BenchSnapshotCommand.self, BenchFreezeCommand.self, BenchUICommand.self, BenchEmulatorCommand.self,
            BenchFleetCommand.self,
        ])
}
