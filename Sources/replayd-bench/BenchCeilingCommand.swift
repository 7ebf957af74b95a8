import ReplaydKit
import ArgumentParser
import Hummingbird
import Logging
import NIOCore

/// `replayd-bench ceiling`: a bare Hummingbird endpoint that reads the request body and answers 202.
/// The load tests measure it beside the real Collector, with the same client and bodies, to know
/// what share of the HTTP stack's ceiling the full pipeline reaches.
struct BenchCeilingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling", abstract: "Serve a bare read-body-answer-202 endpoint (benchmark ceiling).")

    @Option(help: "Port to listen on.") var port = 8090
    @Option(help: "Address to bind.") var host = "127.0.0.1"

    func run() async throws {
        Observability.bootstrapLogging(logLevel: .warning)
        let router = Router()
        router.post("/v1/batch") { request, _ -> Response in
            var bytes = 0
            for try await chunk in request.body { bytes += chunk.readableBytes }
            return Response(status: .accepted, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: "{\"accepted\":\(bytes > 0 ? 1 : 0)}")))
        }
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                              logger: Logger(label: "bench-ceiling"))
        try await app.runService()
    }
}
