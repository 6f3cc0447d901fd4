import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How one wait for input ended.
enum InputOutcome: Equatable {
    /// Keys (or none) were handled; the loop goes on.
    case continued
    /// The key handler asked to stop reading (quit, or a screen change); keys typed after it stay unread.
    case stopped
    /// The terminal is gone, or its input reached end of file.
    case closed
}

/// The input half of every screen loop: sleeps in poll(2) on the screen's input and the feed's wake-up pipe, then
/// hands each pending key to the loop, and notices a terminal that is gone or an input that only ever reads empty.
struct KeyReader {
    private var emptyReads = 0

    /// Waits at most `timeout` seconds for a key or a model update, then handles the pending keys one by one;
    /// `handle` returns true to stop before the next key.
    mutating func wait<Model>(
        on screen: any DashboardScreen, feed: ModelFeed<Model>, timeout: TimeInterval, handle: (Key) -> Bool
    ) -> InputOutcome {
        var fds = [
            pollfd(fd: feed.wakeDescriptors?.read.rawValue ?? -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: screen.inputDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, nfds_t(fds.count), Int32(max(0.01, timeout) * 1000))
        if ready < 0 && errno != EINTR { return .closed }
        if fds[0].revents != 0 { feed.drainWakeups() }
        guard screen.inputDescriptor != nil else { return .continued }
        let input = fds[1].revents
        if input & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return .closed }  // the terminal is gone
        var gotKey = false
        while let key = screen.readKey() {
            gotKey = true
            if handle(key) { return .stopped }
        }
        // Readable without any key, again and again: stdin reached end of file. Never spin on it.
        emptyReads = input & Int16(POLLIN) != 0 && !gotKey ? emptyReads + 1 : 0
        return emptyReads > 50 ? .closed : .continued
    }
}
