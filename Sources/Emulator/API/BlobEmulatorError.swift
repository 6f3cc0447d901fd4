/// Why the emulator could not do what was asked of its life cycle.
public enum BlobEmulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `start()` was called while another `start()` was still binding.
    case startInProgress

    public var description: String {
        switch self {
        case .startInProgress: "the emulator is already starting (another start() has not finished binding)"
        }
    }
}
