using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// A server interceptor on one replica that counts the calls reaching it by method and, on request, holds the next
/// call of a method until its connection dies: a test learns that a call is inside this replica (not merely sent) and
/// decides what happens to the replica while it is there.
/// </summary>
internal sealed class ReplicaTap : Interceptor
{
    private readonly ConcurrentDictionary<string, int> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _holds = new(StringComparer.Ordinal);

    /// <summary>Calls of <paramref name="method"/> (the short name, e.g. "ListDatasets") that reached this replica.</summary>
    public int Arrivals(string method) => _arrivals.GetValueOrDefault(method);

    /// <summary>Holds the next call of <paramref name="method"/>; the task completes when it has arrived.</summary>
    public Task HoldNextAsync(string method)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_holds.TryAdd(method, arrived))
        {
            throw new InvalidOperationException($"A {method} call is already awaited.");
        }

        return arrived.Task;
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        string method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        _arrivals.AddOrUpdate(method, 1, (_, n) => n + 1);
        if (_holds.TryRemove(method, out TaskCompletionSource? arrived))
        {
            arrived.SetResult();
            // Until the connection is gone: only the replica's death ends this call.
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }

        return await continuation(request, context);
    }
}
