import Basics
import CVMSnapCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by its own thread: requests arrive through a lock-protected queue, the thread
/// adds them to the multi handle, waits in `curl_multi_poll` and resumes each caller when its transfer is done.
/// Connections stay in the multi handle's cache and are reused by later requests; TLS sessions and DNS answers are
/// shared through a share handle, so a new connection to a host resumes the session of an earlier one.
final class CurlEventLoop: Sendable {
    private struct Inbox {
        var incoming: [CurlTransfer] = []
        var stopping = false
    }

    private let inbox = Mutex(Inbox())
    /// Only the loop thread calls libcurl on it, except `curl_multi_wakeup`, which is thread-safe.
    private nonisolated(unsafe) let multi: UnsafeMutableRawPointer
    /// Used by the loop thread only (so it needs no lock callbacks); freed after the multi handle.
    private nonisolated(unsafe) let share: UnsafeMutableRawPointer?
    private let configuration: BlobClient.Configuration
    /// Requests carried out and connections opened, for benchmarks and tests.
    let statistics = Mutex(BlobClientStatistics())

    init(configuration: BlobClient.Configuration) {
        Self.globalInit
        self.configuration = configuration
        multi = curl_multi_init()
        _ = vmsnap_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maximumConnections)
        _ = vmsnap_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maximumConnections)
        _ = vmsnap_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maximumConnectionsPerHost)
        _ = vmsnap_multi_setopt_long(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX)
        share = curl_share_init()
        if let share {
            _ = vmsnap_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
            _ = vmsnap_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        }
        let thread = Thread { [self] in run() }
        thread.name = "vmsnap-curl"
        thread.start()
    }

    /// libcurl's process-wide initialisation, done once before the first multi handle.
    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Queues a transfer; its continuation is resumed by the loop thread.
    func submit(_ transfer: CurlTransfer) {
        let accepted = inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.incoming.append(transfer)
            return true
        }
        if accepted { wakeUp() } else { transfer.abandon(.client, "the blob client is shut down") }
    }

    /// Interrupts `curl_multi_poll` so the loop looks at its queue and cancellations.
    func wakeUp() { _ = curl_multi_wakeup(multi) }

    /// Ends the loop: transfers still running fail with `.client`.
    func stop() {
        inbox.withLock { $0.stopping = true }
        wakeUp()
    }

    private func run() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (incoming, stopping) = inbox.withLock { inbox in
                defer { inbox.incoming = [] }
                return (inbox.incoming, inbox.stopping)
            }
            if stopping {
                for transfer in Array(active.values) + incoming {
                    if let easy = transfer.easy { curl_multi_remove_handle(multi, easy) }
                    transfer.abandon(.client, "the blob client was shut down")
                }
                break
            }
            for transfer in incoming {
                if transfer.isCancelled {
                    transfer.abandon(.cancelled, "request cancelled")
                } else if let easy = transfer.makeEasyHandle(configuration, share: share),
                    curl_multi_add_handle(multi, easy) == CURLM_OK
                {
                    active[easy] = transfer
                } else {
                    transfer.abandon(.client, "libcurl refused the request")
                }
            }
            for (easy, transfer) in active where transfer.isCancelled {
                curl_multi_remove_handle(multi, easy)
                active[easy] = nil
                transfer.abandon(.cancelled, "request cancelled")
            }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                    let transfer = active.removeValue(forKey: easy)
                else { continue }
                let result = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                transfer.complete(curlResult: result, statistics: statistics)
            }
            var descriptors: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, 1000, &descriptors)
        }
        curl_multi_cleanup(multi)
        if let share { curl_share_cleanup(share) }
    }
}
