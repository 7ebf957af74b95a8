/// The JSON body of `POST /v1/batch`, decoded only as far as validation needs: the events' `data`
/// is skipped, and the batch goes to Kafka byte for byte as it arrived.
struct BatchEnvelope: Decodable {
    struct Event: Decodable {
        let type: Int
        let timestamp: Double
    }
    struct Page: Decodable {
        let url: String?
        let referrer: String?
        let width: Int?
        let height: Int?
    }

    let key: String
    let session: String
    let seq: Int
    let events: [Event]
    let page: Page?
}
