using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Builds the RpcExceptions the server throws: a status code, a message that says what to fix, and google.rpc
/// details (BadRequest field violations, ResourceInfo, PreconditionFailure) that clients can act on.
/// </summary>
internal static partial class Problems
{
    public static RpcException InvalidArgument(string field, string description) =>
        InvalidArgument([(field, description)]);

    /// <summary>
    /// At most this many field violations are sent: a request with thousands of bad elements must get its answer, not
    /// trailers too large for the client to accept (which it would see as RESOURCE_EXHAUSTED).
    /// </summary>
    public const int MaxViolations = 20;

    public static RpcException InvalidArgument(IReadOnlyList<(string Field, string Description)> violations)
    {
        var badRequest = new BadRequest();
        foreach ((string field, string description) in violations.Take(MaxViolations))
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = Validation.Shorten(field), Description = ForClients(description) });
        }

        string message = violations.Count == 1
            ? $"{badRequest.FieldViolations[0].Field}: {badRequest.FieldViolations[0].Description}"
            : "Invalid request: " + string.Join("; ", badRequest.FieldViolations.Select(v => $"{v.Field}: {v.Description}"))
                + (violations.Count > MaxViolations ? $"; and {violations.Count - MaxViolations} more" : "");
        return Build(Code.InvalidArgument, message, badRequest);
    }

    /// <summary>NOT_FOUND naming the reference as given (shortened: it is client input) and how to list what exists.</summary>
    public static RpcException NotFound(string resourceType, string name) =>
        Build(Code.NotFound, $"No {resourceType} '{Validation.Shorten(name)}'.{ListHint(resourceType)}",
            new ResourceInfo { ResourceType = resourceType, ResourceName = Validation.Shorten(name), Description = "not found" });

    public static RpcException AlreadyExists(string resourceType, string name, string hint) =>
        Build(Code.AlreadyExists, $"A {resourceType} named '{Validation.Shorten(name)}' already exists. {hint}",
            new ResourceInfo { ResourceType = resourceType, ResourceName = Validation.Shorten(name), Description = "already exists" });

    /// <summary>
    /// How a user lists the resources of a type: the CLI command where there is one (these are checked against the
    /// CLI's command tree by a test), else the RPC.
    /// </summary>
    public static string ListHint(string resourceType) => resourceType switch
    {
        "dataset" => " List them with `disco datasets list`.",
        "model" => " List them with `disco models list`.",
        "job" => " List them with `disco jobs list`.",
        "prediction" => " List them with the ListPredictions call (PredictionService).",
        _ => "",
    };

    /// <summary>ALREADY_EXISTS for a conflict that is not about a name, with a message of its own.</summary>
    public static RpcException Conflict(string resourceType, string name, string message) =>
        Build(Code.AlreadyExists, message,
            new ResourceInfo { ResourceType = resourceType, ResourceName = Validation.Shorten(name), Description = "already exists" });

    public static RpcException FailedPrecondition(string type, string subject, string description) =>
        Build(Code.FailedPrecondition, description, new PreconditionFailure
        {
            Violations = { new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = description } },
        });

    public static RpcException PermissionDenied(string message) => Build(Code.PermissionDenied, message);

    public static RpcException OutOfRange(string field, string description) =>
        Build(Code.OutOfRange, $"{field}: {description}",
            new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = description } } });

    public static RpcException DataLoss(string message) => Build(Code.DataLoss, message);

    public static RpcException ResourceExhausted(string message) => Build(Code.ResourceExhausted, message);

    public static RpcException Aborted(string message) => Build(Code.Aborted, message);

    public static RpcException Unauthenticated(string message) => Build(Code.Unauthenticated, message);

    public static RpcException Internal(string message) => Build(Code.Internal, message);

    /// <summary>
    /// A message as clients see it: without the " (Parameter 'name')" that .NET appends to ArgumentException messages,
    /// which names a C# parameter the client never sees (the text before it names the API field).
    /// </summary>
    public static string ForClients(string message) => ParameterSuffix().Replace(message, "");

    private static RpcException Build(Code code, string message, Google.Protobuf.IMessage? detail = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = ForClients(message) };
        if (detail is not null)
        {
            status.Details.Add(Any.Pack(detail));
        }

        return status.ToRpcException();
    }

    [GeneratedRegex(@" ?\(Parameter '[^']*'\)", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterSuffix();
}
