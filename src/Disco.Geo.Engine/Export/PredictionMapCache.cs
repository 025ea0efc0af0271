using System.Diagnostics;

namespace Disco.Geo.Engine.Export;

/// <summary>
/// Loaded prediction maps, least recently used first out once their bytes exceed the budget, so that a map viewer
/// panning around (dozens of tile requests a second) reads each map's tensor file once. Concurrent requests for a map
/// being loaded wait for that one load. Maps live in the content-addressed blob store, so a tensor path always holds
/// the same map and entries never go stale; a deleted prediction's entry simply ages out.
/// </summary>
internal sealed class PredictionMapCache(ILogger<PredictionMapCache> logger, long capacityBytes)
{
    /// <summary>The budget used by the server: a handful of 1° to 0.25° maps.</summary>
    public const long DefaultCapacityBytes = 512L << 20;

    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, LoadedPredictionMap Map)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, LoadedPredictionMap Map)> _recency = new();
    private readonly Dictionary<string, Task<LoadedPredictionMap>> _loading = new(StringComparer.Ordinal);
    private long _bytes;
    private long _loads;

    /// <summary>Bytes held by cached maps.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Maps held.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Tensor files read so far (one per miss).</summary>
    public long Loads => Interlocked.Read(ref _loads);

    /// <summary>The loaded map, from the cache or read now.</summary>
    /// <param name="map">The prediction map.</param>
    /// <param name="cancellationToken">Stops waiting; a load other callers share runs to its end.</param>
    public Task<LoadedPredictionMap> GetAsync(PredictionMap map, CancellationToken cancellationToken)
    {
        // The model decides colours and classes, so the same tensor under another model is another entry.
        string key = map.TensorPath + "\n" + map.Model.Id + (map.BandWindow is { } window ? $"\n{window.First}+{window.Count}" : "");
        Task<LoadedPredictionMap>? loading;
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out LinkedListNode<(string Key, LoadedPredictionMap Map)>? node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                return Task.FromResult(node.Value.Map);
            }

            if (!_loading.TryGetValue(key, out loading))
            {
                loading = Task.Run(() => Load(map), CancellationToken.None);
                _loading[key] = loading;
                _ = loading.ContinueWith(done => Settle(key, done), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        return loading.WaitAsync(cancellationToken);
    }

    private LoadedPredictionMap Load(PredictionMap map)
    {
        Stopwatch clock = Stopwatch.StartNew();
        LoadedPredictionMap loaded = LoadedPredictionMap.Load(map, CancellationToken.None);
        Interlocked.Increment(ref _loads);
        logger.LogInformation("Loaded the map of prediction {PredictionId} ({Bands} band(s) on {Grid}, {Bytes} bytes) in {Milliseconds} ms",
            map.PredictionId, loaded.Values.BandCount, loaded.Values.Grid, loaded.Bytes, clock.ElapsedMilliseconds);
        return loaded;
    }

    private void Settle(string key, Task<LoadedPredictionMap> done)
    {
        lock (_gate)
        {
            _loading.Remove(key);
            if (!done.IsCompletedSuccessfully || done.Result.Bytes > capacityBytes)
            {
                // Failed loads are not remembered (the next request retries); maps larger than the budget are not kept.
                return;
            }

            _entries[key] = _recency.AddFirst((key, done.Result));
            _bytes += done.Result.Bytes;
            while (_bytes > capacityBytes && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Map.Bytes;
                logger.LogDebug("Prediction map cache: evicted {Bytes} bytes to stay within {Capacity}", oldest.Value.Map.Bytes, capacityBytes);
            }
        }
    }
}
