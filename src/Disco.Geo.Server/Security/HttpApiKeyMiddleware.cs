using Disco.Geo.Server.Diagnostics;
using Disco.Geo.Server.Options;
using Grpc.AspNetCore.Server;

namespace Disco.Geo.Server.Security;

/// <summary>
/// Requires the API key on every request that is not a gRPC method call (/metrics, /tiles, /stac, unknown paths; /healthz
/// stays open for probes) and counts those requests by route and status. gRPC method calls pass through: the
/// <see cref="ApiKeyInterceptor"/> checks them. The decision is made on the endpoint routing matched (it runs after
/// UseRouting), never on request headers: a client chooses its Content-Type, so "looks like gRPC" proves nothing.
/// </summary>
internal sealed class HttpApiKeyMiddleware(RequestDelegate next, ApiKeyCheck check, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (IsGrpcMethod(context.GetEndpoint()))
        {
            await next(context);
            return;
        }

        string path = context.Request.Path.Value ?? "";
        string route = path.StartsWith("/tiles/", StringComparison.Ordinal) ? "/tiles"
            : path == "/stac" || path.StartsWith("/stac/", StringComparison.Ordinal) ? "/stac"
            : path is "/metrics" or "/healthz" ? path : "other";
        if (route != "/healthz" && !check.Accepts(context.Request.Headers[SecurityOptions.ApiKeyHeader], context.Request.Headers.Authorization))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await context.Response.WriteAsync(ApiKeyCheck.Explanation + "\n", context.RequestAborted);
        }
        else
        {
            await next(context);
        }

        metrics.RecordHttp(route, context.Response.StatusCode);
    }

    /// <summary>True for a mapped gRPC service method, whose interceptors (the API key one included) run on the call.</summary>
    public static bool IsGrpcMethod(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is not null;
}
