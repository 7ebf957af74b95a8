import ServiceLifecycle

extension KafkaProducer: Service {
    /// Waits for graceful shutdown (or cancellation), then calls ``shutdown()``.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
