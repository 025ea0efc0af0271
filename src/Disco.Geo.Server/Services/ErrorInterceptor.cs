using Disco.Geo.Server.Jobs;
using Grpc.Core;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Turns whatever escapes a handler into a status with a useful message: cancellations into CANCELLED, a full disk
/// into RESOURCE_EXHAUSTED, corrupt stored files into DATA_LOSS, and anything unexpected into INTERNAL (logged with
/// its stack trace, never sent to the client).
/// </summary>
internal sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : CallInterceptor
{
    private const int NoSpaceLeftOnDevice = 28;

    protected override async Task AroundAsync(ServerCallContext context, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (RpcException)
        {
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled or its deadline passed."));
        }
        catch (JobFailedException e)
        {
            throw new RpcException(new Status(e.Code, e.Message));
        }
        catch (IOException e) when ((e.HResult & 0xFFFF) == NoSpaceLeftOnDevice)
        {
            logger.LogError(e, "Disk full while serving {Method}", context.Method);
            throw Problems.ResourceExhausted("The server's disk is full. Free space in its data directory, then retry; committed data is intact.");
        }
        catch (InvalidDataException e)
        {
            logger.LogError(e, "Corrupt stored file while serving {Method}", context.Method);
            throw Problems.DataLoss("A stored file is corrupt: " + e.Message + " Run `disco datasets verify` and re-upload the affected data.");
        }
        catch (Exception e)
        {
            string reference = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(e, "Unhandled error {Reference} in {Method}", reference, context.Method);
            throw Problems.Internal($"Internal server error (reference {reference} in the server log). The request may be retried.");
        }
    }
}
