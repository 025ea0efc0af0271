using System.Collections.Concurrent;
using System.Threading.Channels;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// Connects a running prediction job to the Predict call that started it: tiles flow through a small bounded channel,
/// so a slow client slows the engine down instead of growing memory; once the client detaches, the job keeps
/// writing its map to disk and stops sending tiles.
/// </summary>
internal sealed class PredictionStreams
{
    private readonly ConcurrentDictionary<string, PredictionStream> _streams = new(StringComparer.Ordinal);

    public PredictionStream Attach(string predictionId) => _streams.GetOrAdd(predictionId, id => new PredictionStream(id, this));

    public PredictionStream? Get(string predictionId) => _streams.TryGetValue(predictionId, out PredictionStream? stream) ? stream : null;

    internal void Remove(PredictionStream stream) => _streams.TryRemove(new KeyValuePair<string, PredictionStream>(stream.PredictionId, stream));
}

/// <summary>The tiles and the summary of one prediction on their way to one Predict call.</summary>
internal sealed class PredictionStream(string predictionId, PredictionStreams owner)
{
    private readonly Channel<PredictResponse> _channel = Channel.CreateBounded<PredictResponse>(new BoundedChannelOptions(8)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private volatile bool _detached;

    public string PredictionId { get; } = predictionId;

    public ChannelReader<PredictResponse> Reader => _channel.Reader;

    public async ValueTask WriteTileAsync(Tile tile, CancellationToken cancellationToken)
    {
        if (_detached)
        {
            return;
        }

        try
        {
            await _channel.Writer.WriteAsync(new PredictResponse { Tile = tile }, cancellationToken);
        }
        catch (ChannelClosedException)
        {
        }
    }

    public void Complete(PredictionSummary summary)
    {
        _channel.Writer.TryWrite(new PredictResponse { Summary = summary });
        _channel.Writer.TryComplete();
    }

    public void Fail() => _channel.Writer.TryComplete();

    /// <summary>The Predict call ended; the job goes on without it.</summary>
    public void Detach()
    {
        _detached = true;
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out _))
        {
        }

        owner.Remove(this);
    }
}
