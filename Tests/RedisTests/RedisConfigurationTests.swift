import Redis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesFullURL() throws {
        let configuration = try RedisConfiguration(url: "redis://:s3cret@cache.internal:6380/3")
        #expect(configuration.host == "cache.internal")
        #expect(configuration.port == 6380)
        #expect(configuration.password == "s3cret")
        #expect(configuration.username == nil)
        #expect(configuration.database == 3)
        #expect(configuration.poolSize == 4)
        #expect(configuration.connectTimeout == .seconds(1))
        #expect(configuration.commandTimeout == .seconds(2))
    }

    @Test func appliesDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1")
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(try RedisConfiguration(url: "redis://localhost:16379/").port == 16379)
    }

    @Test func parsesUserAndPassword() throws {
        let configuration = try RedisConfiguration(url: "redis://replayd:pw@10.0.0.5:7000")
        #expect(configuration.username == "replayd")
        #expect(configuration.password == "pw")
    }

    @Test(arguments: [
        ("", "empty"),
        ("127.0.0.1:6379", "scheme"),
        ("http://127.0.0.1:6379", "scheme"),
        ("rediss://127.0.0.1:6379", "TLS"),
        ("redis://", "host"),
        ("redis://127.0.0.1:99999", "port"),
        ("redis://127.0.0.1:abc", ""),
        ("redis://127.0.0.1:6379/cache", "database"),
        ("redis://127.0.0.1:6379/-1", "database"),
        ("redis://user@127.0.0.1", "password"),
    ])
    func rejectsBadURLs(url: String, mentions: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisConfiguration(url: url) }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.code == "redis_invalid_configuration")
        #expect(error.message.contains("redis://[:password@]host[:port][/db]"))
        #expect(error.message.contains("REPLAYD_REDIS_URL"))
        #expect(error.message.contains(mentions), "\(error.message)")
    }

    @Test func errorNeverShowsThePassword() throws {
        let error = try #require(throws: RedisError.self) {
            try RedisConfiguration(url: "redis://:hunter2@127.0.0.1:6379/notanumber")
        }
        #expect(!error.message.contains("hunter2"))
        #expect(error.message.contains("***@127.0.0.1"))
    }
}
