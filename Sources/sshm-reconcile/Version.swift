enum Version {
    /// Keep in step with CHANGELOG.md.
    static let current = "0.1.0"
}
