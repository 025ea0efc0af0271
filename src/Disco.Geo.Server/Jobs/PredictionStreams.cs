using System.Collections.Concurrent;
using System.Threading.Channels;
using Disco.Geo.Grids;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs;

/// <summary>
/// Connects a running prediction job to the Predict call that started it: the map's rows flow through a small bounded
/// channel, so a slow client slows the engine down instead of growing memory; once the client detaches, the job keeps
/// writing its map to disk and stops sending rows. The job hands over rows, not tiles: the Predict call cuts them
/// with the same tile writer that replays and downloads use, so every tile a client sees has one shape.
/// </summary>
internal sealed class PredictionStreams
{
    private readonly ConcurrentDictionary<string, PredictionStream> _streams = new(StringComparer.Ordinal);

    public PredictionStream Attach(string predictionId) => _streams.GetOrAdd(predictionId, id => new PredictionStream(id, this));

    public PredictionStream? Get(string predictionId) => _streams.TryGetValue(predictionId, out PredictionStream? stream) ? stream : null;

    internal void Remove(PredictionStream stream) => _streams.TryRemove(new KeyValuePair<string, PredictionStream>(stream.PredictionId, stream));
}

/// <summary>What a running prediction tells its Predict call: the map's grid, then its rows, then its summary.</summary>
internal abstract record PredictionProgress;

/// <summary>The map's grid and band count, before any rows.</summary>
internal sealed record PredictionBegun(SphereGrid Grid, int Bands) : PredictionProgress;

/// <summary>Rows of the map: values [bands, rowCount, nlon] and mask [rowCount, nlon], copies the job no longer touches.</summary>
internal sealed record PredictionRows(int RowStart, int RowCount, float[] Values, byte[] Mask) : PredictionProgress;

/// <summary>The finished map's summary; nothing follows.</summary>
internal sealed record PredictionFinished(PredictionSummaryRecord Summary) : PredictionProgress;

/// <summary>The rows and the summary of one prediction on their way to one Predict call.</summary>
internal sealed class PredictionStream(string predictionId, PredictionStreams owner)
{
    private readonly Channel<PredictionProgress> _channel = Channel.CreateBounded<PredictionProgress>(new BoundedChannelOptions(8)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private volatile bool _detached;

    public string PredictionId { get; } = predictionId;

    public ChannelReader<PredictionProgress> Reader => _channel.Reader;

    public async ValueTask WriteAsync(PredictionProgress progress, CancellationToken cancellationToken)
    {
        if (_detached)
        {
            return;
        }

        try
        {
            await _channel.Writer.WriteAsync(progress, cancellationToken);
        }
        catch (ChannelClosedException)
        {
        }
    }

    public void Complete(PredictionSummaryRecord summary)
    {
        _channel.Writer.TryWrite(new PredictionFinished(summary));
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
