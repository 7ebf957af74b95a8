import Redis
import Testing

@Suite struct RedisReplyTests {
    @Test func accessors() {
        #expect(RedisReply.integer(7).int == 7)
        #expect(RedisReply.bulk(Array("42".utf8)).int == 42)
        #expect(RedisReply.bulk(Array("x".utf8)).int == nil)
        #expect(RedisReply.status("OK").string == "OK")
        #expect(RedisReply.bulk(Array("hé".utf8)).string == "hé")
        #expect(RedisReply.null.string == nil)
        #expect(RedisReply.null.isNull)
        #expect(RedisReply.error("ERR x").string == nil)
        #expect(RedisReply.array([.integer(1), .null]).array == [.integer(1), .null])
        #expect(RedisReply.integer(1).array == nil)
    }

    @Test func commandBuilders() {
        #expect(RedisCommand("SET", "k", "v").arguments == [Array("SET".utf8), Array("k".utf8), Array("v".utf8)])
        #expect(RedisCommand(arguments: ["GET", "k"]) == RedisCommand("GET", "k"))
        #expect(RedisCommand(rawArguments: [[0x47, 0x45, 0x54], [0]]).arguments[1] == [0])
        #expect(RedisCommand("set", "secret").description == "SET")
    }
}
