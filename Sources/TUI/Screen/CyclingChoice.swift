extension CaseIterable where Self: Equatable {
    /// The next case, after the last the first: what a key that cycles a choice (sort, level, filter) selects.
    var cycled: Self {
        let all = Array(Self.allCases)
        return all[((all.firstIndex(of: self) ?? 0) + 1) % all.count]
    }
}
