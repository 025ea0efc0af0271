using System.Collections.Concurrent;
using System.Threading.Channels;
using Disco.Geo.Server.Storage.Records;

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

/// <summary>
/// Rows [<paramref name="RowStart"/>, + <paramref name="RowCount"/>) and columns [<paramref name="ColStart"/>, +
/// <paramref name="ColCount"/>) of a prediction's map: <paramref name="Values"/> holds float32 values, little-endian,
/// laid out [<paramref name="Bands"/>, rows, columns]; <paramref name="Mask"/> one byte per node, [rows, columns].
/// </summary>
internal sealed record PredictionTile(int RowStart, int RowCount, int ColStart, int ColCount, int Bands, byte[] Values, byte[] Mask);

/// <summary>One message on a prediction stream: a tile, or the summary that ends it.</summary>
internal sealed record PredictionStreamItem(PredictionTile? Tile, PredictionSummaryRecord? Summary);

/// <summary>The tiles and the summary of one prediction on their way to one Predict call.</summary>
internal sealed class PredictionStream(string predictionId, PredictionStreams owner)
{
    private readonly Channel<PredictionStreamItem> _channel = Channel.CreateBounded<PredictionStreamItem>(new BoundedChannelOptions(8)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private volatile bool _detached;

    public string PredictionId { get; } = predictionId;

    public ChannelReader<PredictionStreamItem> Reader => _channel.Reader;

    public async ValueTask WriteTileAsync(PredictionTile tile, CancellationToken cancellationToken)
    {
        if (_detached)
        {
            return;
        }

        try
        {
            await _channel.Writer.WriteAsync(new PredictionStreamItem(tile, null), cancellationToken);
        }
        catch (ChannelClosedException)
        {
        }
    }

    public void Complete(PredictionSummaryRecord summary)
    {
        _channel.Writer.TryWrite(new PredictionStreamItem(null, summary));
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
