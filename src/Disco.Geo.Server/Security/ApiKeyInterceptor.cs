using Disco.Geo.Server.Edge;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;
using Grpc.Core;

namespace Disco.Geo.Server.Security;

/// <summary>Rejects gRPC calls without the API key with UNAUTHENTICATED. Health checks stay open for probes.</summary>
internal sealed class ApiKeyInterceptor(ApiKeyCheck check) : CallInterceptor
{
    protected override Task AroundAsync(ServerCallContext context, Func<Task> call)
    {
        if (!check.Enabled || context.Method.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal))
        {
            return call();
        }

        string? key = context.RequestHeaders.GetValue(SecurityOptions.ApiKeyHeader);
        string? authorization = context.RequestHeaders.GetValue("authorization");
        if (!check.Accepts(key, authorization))
        {
            // This interceptor runs outside the error interceptor, so it maps its problem to a status itself.
            throw ProblemStatus.ToRpcException(Problem.Unauthenticated(key is null && authorization is null
                ? ApiKeyCheck.Explanation
                : "The API key is wrong. " + ApiKeyCheck.Explanation));
        }

        return call();
    }
}
