import Foundation
import Curl
import Logging
import S3
import Uploader

extension ReplaydConfiguration {
    /// The S3 client for the configured endpoint, bucket and credentials.
    public func makeS3Client(logger: Logger) throws -> S3Client {
        try requireS3Credentials()
        var s3Configuration = S3Configuration(endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, pathStyle: s3.pathStyle)
        s3Configuration.partSize = s3PartSize
        let credentials = s3.credentials ?? AWSCredentials(accessKeyID: "", secretAccessKey: "")
        var http = CurlClientConfiguration()
        http.lowSpeedTime = s3StallTimeout
        return S3Client(configuration: s3Configuration, credentials: credentials, logger: logger, httpConfiguration: http)
    }
}
