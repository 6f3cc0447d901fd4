/// The stages of a snapshot job, in order of their start (`database` starts before the freeze and ends after the
/// thaw: quiesce -> freeze -> snapshot -> thaw -> unquiesce).
public enum JobStage: String, Sendable, Codable, CaseIterable {
    case validate, dedupe, staleness, preScript, preconnect, database, freeze, snapshot, thaw, postScript, report
}
