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
        .target(
            name: "Core",
            dependencies: [
                "CVMSnapCurl", "CVMSnapOpenSSL", "CVMSnapSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "Emulator",
            dependencies: [
                "Core", "CVMSnapOpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(name: "TUI", dependencies: ["Core", "CVMSnapCurses"], swiftSettings: strict),
        .executableTarget(
            name: "App",
            dependencies: [
                "Core", "TUI", "Emulator",
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
