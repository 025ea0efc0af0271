using Disco.Geo.Sphere.Packaging;
using TorchSharp;

namespace Disco.Geo.Engine.Prediction;

/// <summary>
/// Keeps the most recently used models loaded (at most <see cref="Capacity"/>), keyed by package checksum and device,
/// so a stream of predictions with one model loads it once. Prediction changes no module state, so concurrent jobs
/// share a loaded model; a model leaves the cache only when no lease holds it, and its native memory is freed then.
/// </summary>
internal sealed class LoadedModelCache : IDisposable
{
    /// <summary>Models kept by default: a few small U-Nets are tens of MB of native memory each at most.</summary>
    public const int DefaultCapacity = 3;

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ILogger<LoadedModelCache> _logger;
    private long _clock;

    public LoadedModelCache(ILogger<LoadedModelCache> logger, int capacity = DefaultCapacity)
    {
        _logger = logger;
        Capacity = Math.Max(1, capacity);
    }

    public int Capacity { get; }

    /// <summary>Models loaded now (held or idle).</summary>
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

    /// <summary>Loads the package (or takes the cached copy); dispose the lease when done with the model.</summary>
    /// <exception cref="ModelPackageException">The package cannot be loaded.</exception>
    public async Task<ModelLease> AcquireAsync(string packagePath, string sha256, torch.Device device, CancellationToken cancellationToken)
    {
        string key = sha256 + "@" + device;
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                entry = new Entry(key, LoadAsync(packagePath, device));
                _entries.Add(key, entry);
            }

            entry.Leases++;
            entry.LastUsed = ++_clock;
        }

        try
        {
            LoadedModel loaded = await entry.Loading.WaitAsync(cancellationToken);
            Trim();
            return new ModelLease(this, entry, loaded);
        }
        catch
        {
            lock (_gate)
            {
                entry.Leases--;
                if (entry.Loading.IsFaulted && _entries.TryGetValue(key, out Entry? current) && current == entry)
                {
                    // A failed load is not cached: the next call tries again (e.g. after the package was re-imported).
                    _entries.Remove(key);
                }
            }

            throw;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (Entry entry in _entries.Values)
            {
                if (entry.Loading.IsCompletedSuccessfully)
                {
                    entry.Loading.Result.Dispose();
                }
            }

            _entries.Clear();
        }
    }

    private Task<LoadedModel> LoadAsync(string packagePath, torch.Device device)
    {
        _logger.LogInformation("Loading model package {Path} onto {Device}", packagePath, device);

        // Not tied to one caller's cancellation: other jobs may be waiting for the same load.
        return Task.Run(() => ModelPackage.LoadAsync(packagePath, device, CancellationToken.None));
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (entry.Evicted && entry.Leases == 0)
            {
                entry.Loading.Result.Dispose();
            }
        }

        Trim();
    }

    /// <summary>Drops least recently used idle models beyond the capacity; held ones are disposed on their last release.</summary>
    private void Trim()
    {
        lock (_gate)
        {
            while (_entries.Count > Capacity)
            {
                Entry? oldest = _entries.Values.Where(e => e.Loading.IsCompleted).MinBy(e => e.LastUsed);
                if (oldest is null)
                {
                    return;
                }

                _entries.Remove(oldest.Key);
                oldest.Evicted = true;
                if (oldest.Leases == 0 && oldest.Loading.IsCompletedSuccessfully)
                {
                    oldest.Loading.Result.Dispose();
                }

                _logger.LogInformation("Unloaded model {Key} (cache holds {Capacity})", oldest.Key, Capacity);
            }
        }
    }

    internal sealed class Entry(string key, Task<LoadedModel> loading)
    {
        public string Key { get; } = key;

        public Task<LoadedModel> Loading { get; } = loading;

        public int Leases { get; set; }

        public long LastUsed { get; set; }

        public bool Evicted { get; set; }
    }

    /// <summary>A loaded model held for one prediction.</summary>
    public sealed class ModelLease : IDisposable
    {
        private readonly LoadedModelCache _owner;
        private readonly Entry _entry;
        private int _disposed;

        internal ModelLease(LoadedModelCache owner, Entry entry, LoadedModel model)
        {
            _owner = owner;
            _entry = entry;
            Model = model;
        }

        public LoadedModel Model { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _owner.Release(_entry);
            }
        }
    }
}
