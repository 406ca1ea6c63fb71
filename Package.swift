// swift-tools-version: 6.0
// qconvert: post-training int8 quantization of ONNX models. Module layout and the direction data flows
// in are described in README.md ("Layout"); each target below says what it holds.
import PackageDescription

let package = Package(
    name: "qconvert",
    products: [
        .executable(name: "qconvert", targets: ["qconvert"]),
        .library(name: "QConvert", targets: ["QConvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        /// C header over the system C++ protobuf-lite library: the only code that sees protobuf types.
        .target(
            name: "COnnx",
            exclude: ["onnx-trimmed.proto"],
            cxxSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("protobuf-lite")]
        ),
        /// Kernels of the compute-heavy ops in C (the GEMM all float products use, convolution without
        /// an im2col pass, depthwise, pooling, the hot elementwise activations and arithmetic, and the
        /// quantized ops' integer GEMM), written with vector extensions and compiled for AVX-512, AVX2
        /// and baseline, chosen at run time: ORT-class speed needs AVX-512 and reading B in place, which
        /// neither Swift's baseline code generation nor OpenBLAS's interface gives. Also the glibc malloc
        /// policy interpreter runs want (heap.c). -O2 as COnnx, so debug builds are usable too.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        /// Temporary output files removed when the process is interrupted: a signal handler's list must
        /// be plain C storage (only async-signal-safe calls are allowed in it).
        .target(name: "CPendingFiles"),
        /// zlib for deflated .npz calibration archives (Debian zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        /// The in-memory model: graph, nodes, tensors, attributes. Depends on nothing.
        .target(
            name: "QConvertIR",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]
        ),
        /// ONNX file reader and writer (and the atomic file every output goes through); the only
        /// module that imports COnnx.
        .target(name: "QConvertONNX", dependencies: ["COnnx", "CPendingFiles", "QConvertIR"]),
        /// Ops, interpreter, passes, calibration, report, and the library API the CLI calls.
        /// Swift 5 language mode: kernels hand raw buffer pointers to worker threads by design (each
        /// thread writes a disjoint chunk, see Ops/Shared/Parallel.swift), which Swift 6's checker
        /// cannot see; its strict checking stays on for every other module.
        .target(
            name: "QConvert",
            dependencies: ["QConvertIR", "QConvertONNX", "CKernels", "CZlib",
                           .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
        /// The command-line tool: flags -> typed options -> library call -> rendering.
        .executableTarget(
            name: "qconvert",
            dependencies: ["QConvert", "QConvertONNX", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        /// The libFuzzer entry point over the ONNX reader and writer; Scripts/fuzz.sh links it with
        /// libFuzzer and AddressSanitizer. A plain library in normal builds (nothing links it), so it
        /// keeps compiling as the reader changes.
        .target(name: "QConvertFuzz", dependencies: ["QConvertONNX", "QConvertIR"]),
        /// Fixture loading, closeness asserts, SQNR and a CLI runner shared by the test targets.
        .target(name: "QConvertTestSupport", dependencies: ["QConvert"]),
        .testTarget(name: "QConvertIRTests", dependencies: ["QConvertIR"]),
        .testTarget(name: "QConvertONNXTests", dependencies: ["QConvertONNX", "QConvertTestSupport"]),
        /// Golden/ holds the golden metrics GoldenMetricsTests reads and re-records in place (by path, not
        /// as a bundled resource, so recording updates the committed files).
        .testTarget(name: "QConvertTests", dependencies: ["QConvert", "QConvertTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "qconvertCLITests", dependencies: ["QConvertTestSupport", "QConvertONNX", "QConvertIR"]),
    ],
    cxxLanguageStandard: .cxx17
)
