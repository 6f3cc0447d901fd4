import ArgumentParser
import Core
import Foundation

/// Where `history` and `metrics` find a job's state folder (the job history beside `mrseq`): `--state-dir`, else
/// `--plugin-dir`, else the configuration's pluginDirectory, else the plugin directory under the agent's folder.
struct StateDirectoryOptions: ParsableArguments {
    @Option(help: "vmsnap's configuration file (default: \(VMSnapConfiguration.defaultPath) when it exists).")
    var config: String?
    @Option(
        name: .customLong("plugin-dir"), help: "The extension's handler directory (HandlerEnvironment.json, mrseq).")
    var pluginDirectory: String?
    @Option(
        name: .customLong("state-dir"),
        help: "The folder holding the job history (snapshot's --status-dir; default: the plugin directory).")
    var stateDirectory: String?

    /// The configuration: `--config`, else the default file when it exists; a broken one is an error naming it.
    func configuration() throws -> VMSnapConfiguration? {
        let path =
            config
            ?? (FileManager.default.fileExists(atPath: VMSnapConfiguration.defaultPath)
                ? VMSnapConfiguration.defaultPath : nil)
        guard let path else { return nil }
        do {
            return try VMSnapConfiguration.load(path: path)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The plugin directory, when one is given or found.
    func plugin(_ configuration: VMSnapConfiguration?) -> PluginDirectory? {
        (pluginDirectory ?? configuration?.resolvedPluginDirectory()).map(PluginDirectory.init(path:))
            ?? PluginDirectory.discover()
    }

    /// The state folder, or an error saying what to give.
    func directory(_ configuration: VMSnapConfiguration?) throws -> String {
        if let stateDirectory { return stateDirectory }
        guard let plugin = plugin(configuration) else {
            throw ValidationError(
                "no plugin directory found under \(PluginDirectory.defaultAgentDirectory): give --plugin-dir or --state-dir"
            )
        }
        return plugin.path
    }
}
