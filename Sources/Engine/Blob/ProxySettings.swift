import Basics
import Foundation

/// Which proxy the blob client uses: the environment's (`https_proxy`, `HTTPS_PROXY`, `http_proxy`, `all_proxy`)
/// first, else the guest agent's `/etc/waagent.conf` (`HttpProxy.Host`, `HttpProxy.Port`).
public struct ProxySettings: Sendable, Equatable {
    /// Proxy URL for libcurl (`http://host:port`), nil for a direct connection.
    public var proxy: String?
    /// Hosts that bypass the proxy (libcurl's `NOPROXY` list); loopback is always included.
    public var noProxy: String

    public init(proxy: String?, noProxy: String) {
        self.proxy = proxy
        self.noProxy = noProxy
    }

    /// Reads the environment and the agent's configuration file.
    public static func discover(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        waagentConfiguration path: String = "/etc/waagent.conf"
    ) -> ProxySettings {
        let fromEnvironment = ["https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy", "ALL_PROXY"]
            .lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        let fromAgent = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(agentProxy(configuration:))
        let bypass =
            ["localhost", "127.0.0.1", "::1", MachineIdentityLookup.azureIMDSAddress]
            + (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return ProxySettings(proxy: fromEnvironment ?? fromAgent, noProxy: bypass.joined(separator: ","))
    }

    /// `http://HOST:PORT` from waagent.conf's `HttpProxy.Host` and `HttpProxy.Port` (port 80 when not given);
    /// an empty or `None` host means no proxy.
    static func agentProxy(configuration text: String) -> String? {
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let comment = value.firstIndex(of: "#") {
                value = value[..<comment].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        guard let host = values["HttpProxy.Host"], !host.isEmpty, host != "None" else { return nil }
        let port = values["HttpProxy.Port"].flatMap { Int($0) } ?? 80
        return host.contains("://") ? "\(host):\(port)" : "http://\(host):\(port)"
    }
}
