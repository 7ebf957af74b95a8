// swift-tools-version:6.1
import PackageDescription

// librdkafka >= 2.8 is built by `scripts/setup` into a project-local prefix (Debian bookworm's 2.0.2
// cannot talk to every Kafka-protocol broker). Point REPLAYD_RDKAFKA_PREFIX elsewhere to use another
// install, e.g. /usr/local or /usr on a system whose package is new enough.
let rdkafkaPrefix = Context.environment["REPLAYD_RDKAFKA_PREFIX"]
    ?? Context.packageDirectory + "/.stack/opt/librdkafka"

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let replaydDependencies: [Target.Dependency] = [
    "ReplaydKit", "Core", "Kafka", "Redis", "Gzip", "Curl", "S3", "Database", "HTTPSupport", "Collector",
    .product(name: "ArgumentParser", package: "swift-argument-parser"),
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "Prometheus", package: "swift-prometheus"),
    .product(name: "UnixSignals", package: "swift-service-lifecycle"),
    .product(name: "PostgresNIO", package: "postgres-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    "Uploader", "Processor", "Tracker", "Playback",
]

let package = Package(
    name: "replayd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "replayd", targets: ["replayd"]),
        .executable(name: "replayd-bench", targets: ["replayd-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
    ],
    targets: [
        // MARK: C libraries, each wrapped once
        .target(
            name: "CRdKafka",
            cSettings: [.unsafeFlags(["-I\(rdkafkaPrefix)/include"])],
            linkerSettings: [
                .unsafeFlags(["-L\(rdkafkaPrefix)/lib", "-Xlinker", "-rpath", "-Xlinker", "\(rdkafkaPrefix)/lib"]),
                .linkedLibrary("rdkafka"),
            ]
        ),
        .target(name: "CHiredis", linkerSettings: [.linkedLibrary("hiredis")]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),

        // MARK: thin Swift wrappers
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka", "Core",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: swiftSettings + [.unsafeFlags(["-Xcc", "-I\(rdkafkaPrefix)/include"])]
        ),
        .target(
            name: "Redis",
            dependencies: [
                "CHiredis", "Core",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Gzip", dependencies: ["CZlib", "Core"], swiftSettings: swiftSettings),
        .target(
            name: "Curl",
            dependencies: [
                "CCurl", "Core", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "S3",
            dependencies: [
                "Curl", "Core",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Database",
            dependencies: [
                "Core",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: shared model
        .target(
            name: "Core",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: what the HTTP components share (request context, error answers, CORS)
        .target(
            name: "HTTPSupport",
            dependencies: [
                "Core", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: components, in data-flow order
        .target(
            name: "Collector",
            dependencies: [
                "Core", "Kafka", "Redis", "Gzip", "HTTPSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Uploader",
            dependencies: [
                "Core", "Gzip", "S3", "Database",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Processor",
            dependencies: [
                "Core", "Kafka", "Uploader", "Database", "S3", "Gzip",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(
            name: "Tracker",
            dependencies: [
                "Core", "Redis", "Database", "HTTPSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Playback",
            dependencies: [
                "Core", "S3", "Gzip", "Database", "HTTPSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),

        // MARK: configuration loading and observability, shared by the executables
        .target(
            name: "ReplaydKit",
            dependencies: [
                "Core", "HTTPSupport", "Kafka", "Redis", "Curl", "S3", "Database", "Collector", "Uploader", "Processor", "Tracker", "Playback",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: the service executable, and the benchmarks beside it
        .executableTarget(
            name: "replayd",
            dependencies: replaydDependencies,
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "replayd-bench",
            dependencies: replaydDependencies,
            swiftSettings: swiftSettings
        ),

        // MARK: fuzzing (scripts/fuzz; docs/security.md). Each Fuzz<Target> executable is libFuzzer's driver
        // when scripts/fuzz builds it (-sanitize=fuzzer,address -D FUZZING, in .build-fuzz) and replays
        // inputs in a normal build, so these targets always compile; FuzzRegressionTests replays the
        // inputs kept under Fuzz/.
        .target(name: "FuzzHarness", dependencies: ["Core", "Gzip"], path: "Fuzz/Harness", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzEnvelope", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzEnvelope", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzInflater", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzInflater", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzFileReader", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzFileReader", swiftSettings: swiftSettings),

        // MARK: tests mirror the targets
        .target(
            name: "TestSupport",
            dependencies: ["Core", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StackTestSupport",
            dependencies: [
                "TestSupport", "Database", "Kafka", "Redis", "S3",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/StackTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TestSupportTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CoreTests", dependencies: ["Core", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaTests",
            dependencies: [
                "Kafka", "TestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisTests",
            dependencies: [
                "Redis", "TestSupport", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "GzipTests", dependencies: ["Gzip", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CurlTests",
            dependencies: [
                "Curl", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "S3Tests",
            dependencies: ["StackTestSupport", "S3", "Curl", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "UploaderTests", dependencies: ["StackTestSupport", "Uploader", "Database", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TrackerTests",
            dependencies: ["StackTestSupport", "Tracker", "HTTPSupport", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PlaybackTests",
            dependencies: [
                "StackTestSupport", "Playback", "TestSupport", "Core", "S3", "Gzip", "Database",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProcessorTests",
            dependencies: [
                "StackTestSupport", "Processor", "TestSupport", "Core", "Kafka", "Uploader", "Database", "S3", "Gzip",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "StackTestSupport", "Collector", "Kafka", "Redis", "Database", "Curl", "HTTPSupport", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "StackTestSupport", "TestSupport", "Kafka",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ReplaydTests", dependencies: ["TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "DatabaseTests", dependencies: ["Database", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzHarness"], swiftSettings: swiftSettings),
    ]
)

