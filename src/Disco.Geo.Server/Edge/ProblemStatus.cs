using Disco.Geo.Server.Problems;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disco.Geo.Server.Edge;

/// <summary>
/// The one mapping from the server's <see cref="ProblemException"/> to a gRPC status: the kind becomes the status code
/// of the same number, the details become google.rpc BadRequest, ResourceInfo, PreconditionFailure or ErrorInfo.
/// </summary>
internal static class ProblemStatus
{
    public static RpcException ToRpcException(ProblemException problem)
    {
        var status = new Google.Rpc.Status { Code = (int)problem.Kind, Message = ClientText.ForClients(problem.Message) };
        if (problem.FieldViolations.Count > 0)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.Add(problem.FieldViolations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
            status.Details.Add(Any.Pack(badRequest));
        }

        if (problem.Resource is { } resource)
        {
            status.Details.Add(Any.Pack(new ResourceInfo { ResourceType = resource.Type, ResourceName = resource.Name, Description = resource.Description }));
        }

        if (problem.Precondition is { } precondition)
        {
            status.Details.Add(Any.Pack(new PreconditionFailure
            {
                Violations = { new PreconditionFailure.Types.Violation { Type = precondition.Type, Subject = precondition.Subject, Description = precondition.Description } },
            }));
        }

        if (problem.MissingEngine is { } engine)
        {
            status.Details.Add(Any.Pack(new ErrorInfo { Reason = "ENGINE_MISSING", Domain = "disco.geo", Metadata = { ["engine"] = engine } }));
        }

        return status.ToRpcException();
    }
}
