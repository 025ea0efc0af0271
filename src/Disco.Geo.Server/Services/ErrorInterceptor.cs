using Disco.Geo.Server.Edge;
using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Turns whatever escapes a handler into a status with a useful message: cancellations into CANCELLED, a full disk
/// into RESOURCE_EXHAUSTED, the database or the shared blob root out of reach into UNAVAILABLE, corrupt stored files into DATA_LOSS, and anything unexpected into INTERNAL (logged with
/// its stack trace, never sent to the client). No message leaves with a path inside the data directory: whatever
/// threw it (a handler's RpcException, a job's failure, a corrupt file's exception) had no reason to think of clients.
/// </summary>
internal sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger, DataDirectory directory) : CallInterceptor
{
    private const int NoSpaceLeftOnDevice = 28;

    protected override async Task AroundAsync(ServerCallContext context, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException e)
        {
            throw Redacted(e);
        }
        catch (ProblemException e)
        {
            throw Redacted(ProblemStatus.ToRpcException(e));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "The call was cancelled or its deadline passed."));
        }
        catch (Exception e) when (StoreOutages.IsDatabaseOutage(e))
        {
            // Not the client's fault and not a defect: the catalog's database is down or restarting. UNAVAILABLE tells
            // the client (and its retry policy) to try again, on this replica or another; the driver's message names
            // the socket or host, so it stays in the log.
            logger.LogWarning(e, "The database could not be reached while serving {Method}", context.Method);
            throw ProblemStatus.ToRpcException(Problem.Unavailable(
                "The server's database cannot be reached right now (it is down or restarting). Committed data is intact; retry shortly."));
        }
        catch (Exception e) when (StoreOutages.IsBlobRootOutage(e, directory))
        {
            logger.LogWarning(e, "The shared blob root is not available while serving {Method}", context.Method);
            throw ProblemStatus.ToRpcException(Problem.Unavailable(
                "The server's shared file storage (its blob root) is not available: it is not mounted or not a directory. " +
                "Committed data is intact; retry once it is back."));
        }
        catch (IOException e) when ((e.HResult & 0xFFFF) == NoSpaceLeftOnDevice)
        {
            logger.LogError(e, "Disk full while serving {Method}", context.Method);
            throw ProblemStatus.ToRpcException(Problem.ResourceExhausted("The server's disk is full. Free space in its data directory, then retry; committed data is intact."));
        }
        catch (InvalidDataException e)
        {
            logger.LogError(e, "Corrupt stored file while serving {Method}", context.Method);
            throw ProblemStatus.ToRpcException(Problem.DataLoss("A stored file is corrupt: " + directory.RedactPaths(e.Message) + " Run `disco datasets verify` and re-upload the affected data."));
        }
        catch (Exception e)
        {
            string reference = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(e, "Unhandled error {Reference} in {Method}", reference, context.Method);
            throw ProblemStatus.ToRpcException(Problem.Internal($"Internal server error (reference {reference} in the server log). The request may be retried."));
        }
    }

    /// <summary>The exception as is, or rebuilt with its message and the texts of its google.rpc details redacted.</summary>
    private RpcException Redacted(RpcException e)
    {
        Google.Rpc.Status? rich = e.GetRpcStatus();
        bool leaks = e.Status.Detail.Contains(directory.Root, StringComparison.Ordinal)
            || (rich is not null && rich.ToString().Contains(directory.Root, StringComparison.Ordinal));
        if (!leaks)
        {
            return e;
        }

        if (rich is null)
        {
            return new RpcException(new Grpc.Core.Status(e.StatusCode, directory.RedactPaths(e.Status.Detail)));
        }

        rich.Message = directory.RedactPaths(rich.Message);
        foreach (Any detail in rich.Details)
        {
            if (detail.TryUnpack(out BadRequest badRequest))
            {
                foreach (BadRequest.Types.FieldViolation violation in badRequest.FieldViolations)
                {
                    violation.Description = directory.RedactPaths(violation.Description);
                }

                detail.Value = badRequest.ToByteString();
            }
            else if (detail.TryUnpack(out PreconditionFailure precondition))
            {
                foreach (PreconditionFailure.Types.Violation violation in precondition.Violations)
                {
                    violation.Subject = directory.RedactPaths(violation.Subject);
                    violation.Description = directory.RedactPaths(violation.Description);
                }

                detail.Value = precondition.ToByteString();
            }
            else if (detail.TryUnpack(out ResourceInfo resource))
            {
                resource.ResourceName = directory.RedactPaths(resource.ResourceName);
                resource.Description = directory.RedactPaths(resource.Description);
                detail.Value = resource.ToByteString();
            }
        }

        return rich.ToRpcException();
    }
}
