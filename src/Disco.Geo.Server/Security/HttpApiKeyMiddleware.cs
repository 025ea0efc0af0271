using Disco.Geo.Server.Hosting;
using Disco.Geo.Server.Observability;

namespace Disco.Geo.Server.Security;

/// <summary>
/// For the plain HTTP routes (/metrics, /tiles, /healthz): requires the API key like gRPC calls do (except /healthz)
/// and counts requests by route and status. gRPC requests pass through untouched; their interceptors do the same.
/// </summary>
internal sealed class HttpApiKeyMiddleware(RequestDelegate next, ApiKeyCheck check, ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            await next(context);
            return;
        }

        string path = context.Request.Path.Value ?? "";
        string route = path.StartsWith("/tiles/", StringComparison.Ordinal) ? "/tiles" : path is "/metrics" or "/healthz" ? path : "other";
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
}
