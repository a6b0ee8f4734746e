// swift-tools-version:6.0
import Foundation
import PackageDescription

/// The engine's hot loops are written for 8-wide vectors; on x86-64 they are compiled for Haswell
/// (AVX2, FMA, F16C: every x86-64 server and desktop since 2013) unless `QSCOPE_PORTABLE=1` asks for
/// the baseline instruction set. Floating-point contraction stays off, so codes are the same either way.
#if arch(x86_64)
let engineFlags: [SwiftSetting] = ProcessInfo.processInfo.environment["QSCOPE_PORTABLE"] == "1"
    ? [] : [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]
#else
let engineFlags: [SwiftSetting] = []
#endif

/// The forward pass is optimised in debug builds too: its matrix product is a SIMD kernel that an
/// unoptimised build runs a hundred times slower, which would stretch `swift test` by minutes.
let inferenceFlags: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// qscope: a terminal workbench for looking at quantization.
///
/// Import directions (docs/ARCHITECTURE.md):
/// CNcurses → Terminal → Workbench → qscope; TensorIO → QuantCore → TUI → Workbench;
/// TensorIO → Workbench; TensorCore, TensorIO, QuantCore → Inference → Reports, qscope. Only `Terminal` imports `CNcurses`.
let package = Package(
    name: "qscope",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "qscope", targets: ["qscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(name: "TensorCore", swiftSettings: engineFlags),
        .target(name: "TensorIO", dependencies: ["TensorCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "QuantCore", dependencies: ["TensorCore"], swiftSettings: engineFlags),
        .target(name: "TUI", dependencies: ["TensorCore", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(name: "Terminal", dependencies: ["CNcurses", "TUI"]),
        .target(name: "Inference", dependencies: ["TensorCore", "TensorIO", "QuantCore"], swiftSettings: engineFlags + inferenceFlags),
        .target(name: "Reports", dependencies: ["QuantCore", "TensorCore", "TensorIO", "TUI", "Inference"]),
        .target(name: "Workbench", dependencies: ["QuantCore", "Reports", "TensorCore", "TensorIO", "TUI", "Terminal"]),
        .executableTarget(
            name: "qscope",
            dependencies: [
                "Workbench", "Reports", "QuantCore", "TensorCore", "TensorIO", "TUI", "Terminal", "Inference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "QuantCoreTests", dependencies: ["QuantCore", "TensorCore", "TensorIO"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorCore", "TensorIO"]),
        .testTarget(name: "TUITests", dependencies: ["TensorCore", "TUI"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "QuantCore", "TensorCore", "TensorIO"]),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "Reports", "QuantCore", "TensorCore", "TensorIO", "TUI", "Terminal"], exclude: ["Snapshots"]),
        .testTarget(name: "qscopeTests", dependencies: ["QuantCore", "TensorCore", "TensorIO"]),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "QuantCore", "TensorCore", "TensorIO"]),
    ]
)
