using Google.Rpc;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>A call failed: the server's status code and message, and its field violations for bad requests.</summary>
public sealed class DiscoException : Exception
{
    /// <summary>Wraps an <see cref="RpcException"/>, reading google.rpc.Status details when present.</summary>
    /// <param name="inner">The gRPC failure.</param>
    public DiscoException(RpcException inner)
        : base(inner.Status.Detail, inner)
    {
        StatusCode = inner.StatusCode;
        var violations = new List<FieldViolation>();
        Google.Rpc.Status? status = null;
        try
        {
            status = inner.GetRpcStatus();
        }
        catch (Google.Protobuf.InvalidProtocolBufferException)
        {
            // A status from a proxy rather than the server: keep the code and message only.
        }

        if (status?.GetDetail<BadRequest>() is { } badRequest)
        {
            violations.AddRange(badRequest.FieldViolations.Select(v => new FieldViolation(v.Field, v.Description)));
        }

        FieldViolations = violations;
        Reason = status?.GetDetail<ErrorInfo>()?.Reason;
    }

    /// <summary>The gRPC status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>Invalid fields and what is wrong with each (INVALID_ARGUMENT, OUT_OF_RANGE).</summary>
    public IReadOnlyList<FieldViolation> FieldViolations { get; }

    /// <summary>Machine-readable reason from google.rpc.ErrorInfo, e.g. "ENGINE_MISSING", or null.</summary>
    public string? Reason { get; }
}

/// <summary>One invalid field of a request.</summary>
/// <param name="Field">Path of the field, e.g. "header.sha256".</param>
/// <param name="Description">What is wrong and how to fix it.</param>
public sealed record FieldViolation(string Field, string Description);
