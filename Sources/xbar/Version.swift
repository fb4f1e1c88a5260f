/// The version `xbar --version` prints; raised with each release (README, "Exit status and version").
enum XbarVersion {
    static let current = "0.9.0"
}
