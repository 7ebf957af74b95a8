/// How every replayd client connects to the brokers beyond `bootstrap.servers`: TLS and SASL,
/// passed to librdkafka as they are (`REPLAYD_KAFKA_SECURITY_PROTOCOL` and friends; README,
/// docs/deployment.md). Empty fields are left to librdkafka's defaults (plaintext).
public struct KafkaSecurity: Sendable, Equatable {
    /// `security.protocol`: plaintext, ssl, sasl_plaintext or sasl_ssl.
    public var securityProtocol: String?
    /// `sasl.mechanisms`: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (OAUTHBEARER and GSSAPI need more than
    /// these settings).
    public var saslMechanism: String?
    public var saslUsername: String?
    /// Never printed: `replayd config` shows `***`.
    public var saslPassword: String?
    /// `ssl.ca.location`: the CA bundle that signed the brokers' certificates.
    public var sslCALocation: String?
    /// `ssl.certificate.location` and `ssl.key.location`: a client certificate (mutual TLS).
    public var sslCertificateLocation: String?
    public var sslKeyLocation: String?
    /// Never printed.
    public var sslKeyPassword: String?
    /// `ssl.endpoint.identification.algorithm`: https (verify the broker's host name, the default) or none.
    public var sslEndpointIdentification: String?

    public init() {}

    /// The librdkafka properties of the fields that are set.
    public var properties: [(String, String)] {
        let pairs: [(String, String?)] = [
            ("security.protocol", securityProtocol), ("sasl.mechanisms", saslMechanism),
            ("sasl.username", saslUsername), ("sasl.password", saslPassword),
            ("ssl.ca.location", sslCALocation), ("ssl.certificate.location", sslCertificateLocation),
            ("ssl.key.location", sslKeyLocation), ("ssl.key.password", sslKeyPassword),
            ("ssl.endpoint.identification.algorithm", sslEndpointIdentification),
        ]
        return pairs.compactMap { name, value in value.map { (name, $0) } }
    }
}
