/// A tensor file that cannot be read: what is wrong, in which file, tensor and byte.
///
/// Printed as one sentence a user can act on; the command line maps it to exit code 65.
public struct TensorFileError: Error, CustomStringConvertible, Sendable, Equatable {
    public let file: String
    public let tensor: String?
    public let offset: Int?
    public let reason: String

    public init(file: String, tensor: String? = nil, offset: Int? = nil, reason: String) {
        self.file = file
        self.tensor = tensor
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var s = file
        if let tensor { s += ": tensor '\(tensor)'" }
        if let offset { s += " (byte \(offset))" }
        return s + ": " + reason
    }
}

/// An output file that cannot be written.
public enum TensorWriteError: Error, CustomStringConvertible, Sendable, Equatable {
    case exists(path: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .exists(let path): "\(path) exists; use --force to replace it"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
}
