import Basics
import Engine
import Foundation

/// `vmsnap fleet --container SAS_URI`: a container SAS with list and read permissions whose blobs are the VMs'
/// status blobs (one VM per blob, named by the blob). The URI is a secret: only its redacted form is shown.
public struct FleetContainer: Sendable {
    /// The URI up to its query (`https://acct.blob.core.windows.net/status`): no secret in it.
    public let base: String
    /// The SAS query (`sv=...&sig=...`).
    let query: String

    /// Checks the URI: https (http only on loopback), a path naming the container, a SAS query with `sig` and `r`
    /// and `l` in `sp`.
    public init(_ text: String) throws(FleetInventoryError) {
        func fail(_ problem: String) -> FleetInventoryError {
            FleetInventoryError(file: "--container", line: 0, problem: Redactor.redact(problem))
        }
        guard let mark = text.firstIndex(of: "?"), let components = URLComponents(string: text),
            let host = components.host, !host.isEmpty
        else { throw fail("expected a container SAS URI (https://ACCOUNT.blob.core.windows.net/CONTAINER?sv=...)") }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host)
        guard components.scheme == "https" || (components.scheme == "http" && loopback) else {
            throw fail("expected https (http only on loopback), found \(components.scheme ?? "no scheme")")
        }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard !path.isEmpty else { throw fail("the URI names no container") }
        let items = components.queryItems ?? []
        let permissions = items.first { $0.name == "sp" }?.value ?? ""
        guard items.contains(where: { $0.name == "sig" }), permissions.contains("r"), permissions.contains("l")
        else { throw fail("expected a SAS with sig and sp including r (read) and l (list), found sp=\(permissions)") }
        base = String(text[..<mark]).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        query = String(text[text.index(after: mark)...])
    }

    /// Every blob of the container as a fleet target, named by the blob, listing page by page.
    public func targets(client: BlobClient, timeout: Duration) async throws(FleetInventoryError) -> [FleetTarget] {
        var targets: [FleetTarget] = []
        var marker = ""
        repeat {
            var url = "\(base)?\(query)&restype=container&comp=list"
            if !marker.isEmpty { url += "&marker=\(Self.encoded(marker))" }
            let answer: BlobResponse
            do {
                answer = try await client.fetch(url, timeout: timeout)
            } catch {
                throw FleetInventoryError(
                    file: "--container", line: 0, problem: Redactor.redact("listing \(base) failed: \(error)"))
            }
            guard answer.status == 200 else {
                throw FleetInventoryError(
                    file: "--container", line: 0,
                    problem: "listing \(base) answered \(answer.status) \(answer.errorCode ?? "")")
            }
            let page = String(decoding: answer.body, as: UTF8.self)
            for name in Self.elements("Name", in: Self.elements("Blob", in: page).joined()) {
                let uri: SASBlobURI
                do {
                    uri = try SASBlobURI("\(base)/\(Self.encoded(name))?\(query)")
                } catch {
                    continue
                }
                targets.append(FleetTarget(name: TerminalText.sanitize(name), statusBlob: uri))
            }
            marker = Self.elements("NextMarker", in: page).first ?? ""
        } while !marker.isEmpty
        return targets
    }

    /// The unescaped text of every `<tag>...</tag>` in `xml`, in order.
    static func elements(_ tag: String, in xml: String) -> [String] {
        var values: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(tag)>"),
            let close = rest.range(of: "</\(tag)>", range: open.upperBound..<rest.endIndex)
        {
            values.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return values
    }

    private static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#&=+"))) ?? text
    }
}
