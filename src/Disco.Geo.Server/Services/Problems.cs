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

    public static RpcException InvalidArgument(IReadOnlyList<(string Field, string Description)> violations)
    {
        var badRequest = new BadRequest();
        foreach ((string field, string description) in violations)
        {
            badRequest.FieldViolations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = ForClients(description) });
        }

        string message = violations.Count == 1
            ? $"{violations[0].Field}: {violations[0].Description}"
            : "Invalid request: " + string.Join("; ", violations.Select(v => $"{v.Field}: {v.Description}"));
        return Build(Code.InvalidArgument, message, badRequest);
    }

    public static RpcException NotFound(string resourceType, string name) =>
        Build(Code.NotFound, $"No {resourceType} '{name}'. List them with `disco {resourceType}s list`.",
            new ResourceInfo { ResourceType = resourceType, ResourceName = name, Description = "not found" });

    public static RpcException AlreadyExists(string resourceType, string name, string hint) =>
        Build(Code.AlreadyExists, $"A {resourceType} named '{name}' already exists. {hint}",
            new ResourceInfo { ResourceType = resourceType, ResourceName = name, Description = "already exists" });

    public static RpcException FailedPrecondition(string type, string subject, string description) =>
        Build(Code.FailedPrecondition, description, new PreconditionFailure
        {
            Violations = { new PreconditionFailure.Types.Violation { Type = type, Subject = subject, Description = description } },
        });

    public static RpcException Unimplemented(string engine, string what) =>
        Build(Code.Unimplemented,
            $"{what} needs the {engine}, which this server build does not include yet. Nothing was changed.",
            new ErrorInfo { Reason = "ENGINE_MISSING", Domain = "disco.geo", Metadata = { ["engine"] = engine } });

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
