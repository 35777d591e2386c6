// swift-tools-version:6.2
import PackageDescription

/// Settings every target of this package gets: Swift 6 mode (complete concurrency checking) and `any` for existentials.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sshm-reconcile",
    products: [
        .executable(name: "sshm-reconcile", targets: ["sshm-reconcile"]),
        // For the separate package in Benchmarks/, which can only reach products (and `public` API).
        .library(name: "SSHMCore", targets: ["SSHMCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CXenStore", pkgConfig: "xenstore", providers: [.apt(["libxen-dev"])]),
        .systemLibrary(name: "CXenCtrl", pkgConfig: "xencontrol", providers: [.apt(["libxen-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .target(
            name: "SSHMCore",
            dependencies: ["CYAML"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SSHMReconcile",
            dependencies: [
                "SSHMCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SSHMXen",
            dependencies: [
                "SSHMCore", "SSHMReconcile", "CXenStore", "CXenCtrl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Test support in two parts: fakes and contracts that need no C (for SSHMCoreTests and SSHMReconcileTests,
        // which must not link Xen's libraries: scripts/check-closure), and the xenstored sandbox and Xen back ends.
        .target(
            name: "SSHMTestSupport",
            dependencies: ["SSHMCore", "SSHMReconcile", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "SSHMXenTestSupport",
            dependencies: [
                "SSHMCore", "SSHMReconcile", "SSHMXen", "SSHMTestSupport", "CXenStore",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "sshm-reconcile",
            dependencies: [
                "SSHMCore", "SSHMReconcile", "SSHMXen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSHMCoreTests",
            dependencies: [
                "SSHMCore", "SSHMTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSHMReconcileTests",
            dependencies: [
                "SSHMCore", "SSHMReconcile", "SSHMTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSHMReconcileXenTests",
            dependencies: [
                "SSHMReconcile", "SSHMTestSupport", "SSHMXenTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SSHMXenTests",
            dependencies: [
                "SSHMXen", "SSHMTestSupport", "SSHMXenTestSupport", "SSHMReconcile",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "sshm-reconcileTests",
            dependencies: [
                "SSHMTestSupport", "SSHMXenTestSupport", "SSHMReconcile", "SSHMXen",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
