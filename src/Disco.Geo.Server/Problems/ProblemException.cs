namespace Disco.Geo.Server.Problems;

/// <summary>One field of a request and what is wrong with it.</summary>
internal sealed record FieldViolation(string Field, string Description);

/// <summary>The resource a problem is about: its type ("dataset"), the name as given, and what is wrong ("not found").</summary>
internal sealed record ResourceRef(string Type, string Name, string Description);

/// <summary>An unmet precondition: a machine-readable type ("IN_USE"), its subject (an id) and what to do.</summary>
internal sealed record PreconditionViolation(string Type, string Subject, string Description);

/// <summary>
/// The one error type of the server below its gRPC layer: the kind of problem, a message written for clients (it says
/// what to fix and carries no server paths) and the details a client can act on. The Api layer's error interceptor
/// maps it to a gRPC status once; nothing below it knows about gRPC. Build instances with <see cref="Problems"/>.
/// </summary>
internal class ProblemException(ProblemKind kind, string message) : Exception(message)
{
    /// <summary>What kind of problem this is; numbered like google.rpc.Code.</summary>
    public ProblemKind Kind { get; } = kind;

    /// <summary>The request fields that are wrong (sent as google.rpc.BadRequest); empty when none applies.</summary>
    public IReadOnlyList<FieldViolation> FieldViolations { get; init; } = [];

    /// <summary>The resource the problem is about (sent as google.rpc.ResourceInfo), if any.</summary>
    public ResourceRef? Resource { get; init; }

    /// <summary>The unmet precondition (sent as google.rpc.PreconditionFailure), if any.</summary>
    public PreconditionViolation? Precondition { get; init; }

    /// <summary>The engine this server build lacks (sent as google.rpc.ErrorInfo ENGINE_MISSING), if that is the problem.</summary>
    public string? MissingEngine { get; init; }
}
