using Disco.Geo.Server.Options;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Edge;

/// <summary>
/// When a client-streaming handler ends (answers or fails) before the client's end of stream, reads and
/// discards what the client still sends, up to <see cref="LimitsOptions.RequestDrainBytes"/> or
/// <see cref="LimitsOptions.RequestDrainTimeout"/>, before the answer goes out (outermost interceptor).
/// </summary>
/// <remarks>
/// Answering first is legal gRPC, but over HTTP/2 it makes Kestrel reset the stream while the client's DATA frames are
/// still in flight; .NET's client answers with a reset of its own yet may still send a queued frame, and Kestrel takes
/// DATA on a stream the client reset as a connection error: GOAWAY, and every other call on that connection fails
/// (the next unary call's client sees INTERNAL "Incomplete message."). A refused upload (a name taken by other
/// content, a bad header, a wrong API key) did exactly that about once in a few thousand refusals. With the client's
/// end of stream read first, the response ends the stream cleanly and no reset is sent. The bounds keep a client that
/// streams a large file, or holds the stream open, from keeping the server reading for it. Duplex calls are left
/// alone: there a client may rightly keep its side open while the server ends the call, and must not wait for a bound.
/// </remarks>
internal sealed class RequestStreamDrainInterceptor(IOptions<LimitsOptions> options, TimeProvider time, ILogger<RequestStreamDrainInterceptor> logger) : Interceptor
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
    private readonly LimitsOptions _limits = options.Value;

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var reader = new EndTrackingReader<TRequest>(requestStream);
        try
        {
            return await continuation(reader, context);
        }
        finally
        {
            await DrainAsync(reader, context);
        }
    }

    private async Task DrainAsync<T>(EndTrackingReader<T> reader, ServerCallContext context)
    {
        // Zero (or less) in either bound turns the drain off; a timer cannot run longer than about 49 days.
        TimeSpan timeout = _limits.RequestDrainTimeout < MaxTimeout ? _limits.RequestDrainTimeout : MaxTimeout;
        if (reader.Ended || context.CancellationToken.IsCancellationRequested || timeout <= TimeSpan.Zero || _limits.RequestDrainBytes <= 0)
        {
            return;
        }

        logger.LogDebug("{Method} answered before the client's end of stream; reading up to {Bytes} more bytes first.", context.Method, _limits.RequestDrainBytes);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.CancellationToken);
        long bytes = 0;
        try
        {
            while (bytes <= _limits.RequestDrainBytes && await reader.MoveNext(stop.Token))
            {
                // Count each message at least as a byte, so a stream of empty messages still reaches the bound.
                bytes += Math.Max(1, reader.Current is IMessage message ? message.CalculateSize() : 0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or IOException or InvalidOperationException)
        {
            // The bound ran out, the client went away or sent something unreadable: answer now either way.
        }

        if (!reader.Ended)
        {
            logger.LogDebug("{Method}: the client was still sending after {Bytes} bytes; answering without its end of stream.", context.Method, bytes);
        }
    }

    /// <summary>A request stream that remembers whether it reached the client's end of stream.</summary>
    private sealed class EndTrackingReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
    {
        public bool Ended { get; private set; }

        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            bool more = await inner.MoveNext(cancellationToken);
            Ended |= !more;
            return more;
        }
    }
}
