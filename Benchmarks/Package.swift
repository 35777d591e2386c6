// swift-tools-version:6.2
import PackageDescription

// Performance benchmarks (package-benchmark), kept out of the main package so that its build and tests do not pull
// in the benchmark harness. Run from this directory: `swift package benchmark`.
let package = Package(
    name: "sshm-reconcile-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sshm-reconcile", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ValidateBenchmarks",
            dependencies: [
                .product(name: "SSHMCore", package: "sshm-reconcile"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ValidateBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
