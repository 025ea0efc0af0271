using Disco.Geo.Server.Options;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Services;

/// <summary>
/// Applies <see cref="RequestLimits"/> to every request before its handler sees it, and to every message of a client
/// stream as it arrives, so no handler can forget a limit and nothing is opened or queued for an oversized request.
/// </summary>
internal sealed class RequestLimitsInterceptor(IOptions<LimitsOptions> options) : Interceptor
{
    private readonly RequestLimits _limits = new(options.Value);

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new CheckedReader<TRequest>(requestStream, this), context);

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new CheckedReader<TRequest>(requestStream, this), responseStream, context);

    private void Check(object? request)
    {
        // Only the Disco.Geo API's requests: health checks and reflection are other packages' messages.
        if (request is IMessage message && RequestLimits.IsRequestType(message.Descriptor))
        {
            _limits.ThrowIfInvalid(message);
        }
    }

    private sealed class CheckedReader<T>(IAsyncStreamReader<T> inner, RequestLimitsInterceptor owner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            owner.Check(inner.Current);
            return true;
        }
    }
}
