// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "vmsnap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vmsnap", targets: ["App"]),
        .library(name: "Core", targets: ["Core"]),
        .library(name: "TUI", targets: ["TUI"]),
        .library(name: "Emulator", targets: ["Emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CVMSnapCurses", path: "Sources/CVMSnapCurses",
            providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(
            name: "CVMSnapCurl", path: "Sources/CVMSnapCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CVMSnapOpenSSL", path: "Sources/CVMSnapOpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CVMSnapSystem", path: "Sources/CVMSnapSystem"),
        // Settings, SAS, redaction, time, formats, result codes and errors: no IO beyond reading files.
        .target(name: "Basics", dependencies: ["CVMSnapOpenSSL", "CVMSnapSystem"], swiftSettings: strict),
        // The snapshot job: blob client, freeze, scripts, status and log writers.
        .target(
            name: "Engine",
            dependencies: [
                "Basics", "CVMSnapCurl", "CVMSnapOpenSSL", "CVMSnapSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Reading jobs back: status documents, logs, pollers, verdicts.
        .target(name: "Monitoring", dependencies: ["Basics", "Engine"], swiftSettings: strict),
        // The three layers in one import for the dashboard and the executable.
        .target(name: "Core", dependencies: ["Basics", "Engine", "Monitoring"], swiftSettings: strict),
        // The local blob endpoint checks clients independently: it depends on Basics only.
        .target(
            name: "Emulator",
            dependencies: [
                "Basics", "CVMSnapOpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        .target(name: "TUI", dependencies: ["Core", "CVMSnapCurses"], swiftSettings: strict),
        // `vmsnap bench`: measurement code, outside the product libraries.
        .target(
            name: "Benchmarks",
            dependencies: [
                "Core", "TUI", "Emulator",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "App",
            dependencies: [
                "Core", "TUI", "Emulator", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .target(
            name: "TestSupport", dependencies: ["Core", "Emulator"], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "CoreTests", dependencies: ["Core", "Emulator", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "EmulatorTests", dependencies: ["Emulator", "Core", "TestSupport"], exclude: ["Conformance"],
            swiftSettings: strict),
        .testTarget(
            name: "TUITests", dependencies: ["TUI", "Core", "TestSupport"], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests", dependencies: ["Core", "Emulator", "TestSupport"], exclude: ["Agent/Sandbox"],
            swiftSettings: strict),
    ]
)
