import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics, bootstrapped once per process before any service starts.
public enum Observability {
    /// The registry behind `GET /metrics`.
    public static let registry = PrometheusCollectorRegistry()

    public static func bootstrap(logLevel: Logger.Level) {
        bootstrapLogging(logLevel: logLevel)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }

    /// Logging only (for short commands that export no metrics).
    public static func bootstrapLogging(logLevel: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
    }
}
