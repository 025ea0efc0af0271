using System.Diagnostics;
using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Edge;
using Grpc.Core;

namespace Disco.Geo.Server.Observability;

/// <summary>Counts calls by method and status code and records their duration (outermost interceptor).</summary>
internal sealed class MetricsInterceptor(ServerMetrics metrics) : CallInterceptor
{
    protected override async Task AroundAsync(ServerCallContext context, Func<Task> call)
    {
        long start = Stopwatch.GetTimestamp();
        StatusCode code = StatusCode.OK;
        try
        {
            await call();
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        catch (Exception)
        {
            code = StatusCode.Unknown;
            throw;
        }
        finally
        {
            metrics.RecordRpc(context.Method, code.ToString(), Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
