/// A failed precondition of a test, thrown with a message that says what to do about it.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
