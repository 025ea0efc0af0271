namespace Disco.Geo.Server.Problems;

/// <summary>
/// What kind of problem stopped a request or a job. Numbered like google.rpc.Code: the Api layer maps a kind to the
/// status of the same number, and job errors are stored with this number, so stored jobs read the same as before.
/// </summary>
internal enum ProblemKind
{
    /// <summary>The caller cancelled, or its deadline passed.</summary>
    Cancelled = 1,

    /// <summary>The request is wrong in a way its field violations name.</summary>
    InvalidArgument = 3,

    /// <summary>A referenced resource does not exist.</summary>
    NotFound = 5,

    /// <summary>A resource of that name already exists, or a request id was reused for another request.</summary>
    AlreadyExists = 6,

    /// <summary>The server refuses the request (e.g. a path outside its import roots).</summary>
    PermissionDenied = 7,

    /// <summary>A server resource (disk, memory) ran out.</summary>
    ResourceExhausted = 8,

    /// <summary>The server is not in a state where the request can run (e.g. the input is in use).</summary>
    FailedPrecondition = 9,

    /// <summary>A concurrent request got in the way; retrying can succeed.</summary>
    Aborted = 10,

    /// <summary>A value lies outside the range the request allows (offsets, sizes).</summary>
    OutOfRange = 11,

    /// <summary>This server build lacks what the request needs.</summary>
    Unimplemented = 12,

    /// <summary>A bug or an unexpected state on the server.</summary>
    Internal = 13,

    /// <summary>A store the server depends on (its database, the shared blob root) is out of reach for now; retrying can succeed.</summary>
    Unavailable = 14,

    /// <summary>Stored or received data is corrupt.</summary>
    DataLoss = 15,

    /// <summary>The caller did not prove who it is.</summary>
    Unauthenticated = 16,
}
