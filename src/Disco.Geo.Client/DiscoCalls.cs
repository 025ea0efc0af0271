using System.Runtime.CompilerServices;
using Grpc.Core;

namespace Disco.Geo.Client;

/// <summary>
/// The call policy every sub-client shares: headers, deadlines, the back-off of stream resumes, paging, and the
/// mapping of gRPC failures to <see cref="DiscoException"/> or <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class DiscoCalls(DiscoClientOptions options, Func<ConnectivityState> channelState)
{
    private readonly Metadata _headers = string.IsNullOrEmpty(options.ApiKey) ? [] : [new Metadata.Entry("x-api-key", options.ApiKey)];

    public DiscoClientOptions Options { get; } = options;

    /// <summary>UNAVAILABLE (server down or restarting), or a stream torn down by a broken connection.</summary>
    public static bool IsTransient(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        || (e.StatusCode == StatusCode.Internal && e.InnerException is HttpRequestException or IOException)
        || (e.StatusCode == StatusCode.Unknown && e.InnerException is HttpRequestException or IOException);

    /// <summary>True when the call failed only because the caller cancelled it.</summary>
    public static bool IsCancellation(RpcException e, CancellationToken cancellationToken) =>
        e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested;

    public CallOptions CallOptions(DateTime? deadline, CancellationToken cancellationToken) =>
        new(_headers, deadline, cancellationToken);

    /// <summary>
    /// Back-off before the <paramref name="attempt"/>-th resume of a stream (the stream resumers only; unary calls are
    /// retried by the channel's retry policy): exponential, with jitter in the upper half.
    /// </summary>
    public TimeSpan Backoff(int attempt)
    {
        double ceiling = Math.Min(
            Options.MaxBackoff.TotalMilliseconds,
            Options.InitialBackoff.TotalMilliseconds * Math.Pow(DiscoClientOptions.BackoffMultiplier, attempt - 1));
        return TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
    }

    /// <summary>
    /// Runs a unary call with a deadline and maps its failure. Retries are the channel's: its retry policy
    /// (<see cref="RetryPolicies"/>) repeats idempotent calls on UNAVAILABLE and sends the others once.
    /// </summary>
    public async Task<T> UnaryAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            using AsyncUnaryCall<T> pending = call(CallOptions(DateTime.UtcNow + Options.CallTimeout, cancellationToken));
            return await pending.ResponseAsync;
        }
        catch (RpcException e) when (IsCancellation(e, cancellationToken))
        {
            throw new OperationCanceledException("The call was cancelled.", e, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && channelState() is ConnectivityState.TransientFailure or ConnectivityState.Connecting)
        {
            // The deadline covers the retries, so a server that is down ends a retried call with DEADLINE_EXCEEDED.
            // With no replica connected the truth is that none could be reached, which callers act on differently
            // from a slow server (start it, check the address), so say UNAVAILABLE.
            throw new DiscoException(new RpcException(new Status(StatusCode.Unavailable, $"No server could be reached before the deadline ({e.Status.Detail}).", e)));
        }
        catch (RpcException e)
        {
            throw new DiscoException(e);
        }
    }

    /// <summary>Pages through a list call.</summary>
    public async IAsyncEnumerable<TItem> PagesAsync<TResponse, TItem>(
        Func<string, CallOptions, AsyncUnaryCall<TResponse>> call, Func<TResponse, (IEnumerable<TItem> Items, string Next)> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string token = "";
        do
        {
            TResponse response = await UnaryAsync(o => call(token, o), cancellationToken);
            (IEnumerable<TItem> items, string next) = read(response);
            foreach (TItem item in items)
            {
                yield return item;
            }

            token = next;
        }
        while (token.Length > 0);
    }

    /// <summary>Yields a server stream's messages with failures mapped; no retry, for streams that cannot resume.</summary>
    public async IAsyncEnumerable<TResponse> StreamAsync<TResponse>(
        Func<CallOptions, AsyncServerStreamingCall<TResponse>> start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using AsyncServerStreamingCall<TResponse> call = start(CallOptions(null, cancellationToken));
        IAsyncEnumerator<TResponse> messages = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await MoveNextAsync(messages, cancellationToken))
            {
                yield return messages.Current;
            }
        }
        finally
        {
            await messages.DisposeAsync();
        }
    }

    private static async ValueTask<bool> MoveNextAsync<T>(IAsyncEnumerator<T> enumerator, CancellationToken cancellationToken)
    {
        try
        {
            return await enumerator.MoveNextAsync();
        }
        catch (RpcException e) when (IsCancellation(e, cancellationToken))
        {
            throw new OperationCanceledException("The stream was cancelled.", e, cancellationToken);
        }
        catch (RpcException e)
        {
            throw new DiscoException(e);
        }
    }
}
