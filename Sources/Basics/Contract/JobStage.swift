/// The stages of a snapshot job, in order.
public enum JobStage: String, Sendable, Codable, CaseIterable {
    case validate, dedupe, staleness, preScript, preconnect, freeze, snapshot, thaw, postScript, report
}
