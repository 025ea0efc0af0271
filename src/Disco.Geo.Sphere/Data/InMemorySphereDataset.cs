using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Data;

/// <summary>Samples held in memory, checked on construction to share the grid, input bands and kind of target.</summary>
public sealed class InMemorySphereDataset : ISphereDataset
{
    private readonly SphereSample[] _samples;

    /// <summary>Creates the dataset.</summary>
    /// <exception cref="ArgumentException">No samples, or a sample's size, bands or kind of target differs from the first's.</exception>
    public InMemorySphereDataset(SphereGrid grid, IEnumerable<SphereSample> samples)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(samples);
        _samples = [.. samples];
        if (_samples.Length == 0)
        {
            throw new ArgumentException("The dataset is empty: give at least one sample.", nameof(samples));
        }

        SphereSample first = _samples[0];
        for (int i = 0; i < _samples.Length; i++)
        {
            SphereSample sample = _samples[i] ?? throw new ArgumentException($"Sample {i} is null.", nameof(samples));
            if (sample.NLat != grid.NLat || sample.NLon != grid.NLon)
            {
                throw new ArgumentException(
                    $"Sample {i} is {sample.NLat}x{sample.NLon} but the dataset's grid is {grid}: resample it onto the grid first.", nameof(samples));
            }

            if (sample.InputChannels != first.InputChannels)
            {
                throw new ArgumentException(
                    $"Sample {i} has {sample.InputChannels} input bands but sample 0 has {first.InputChannels}: every sample needs the same bands.", nameof(samples));
            }

            if ((sample.Classes is null) != (first.Classes is null) || (sample.Values is null) != (first.Values is null) ||
                sample.TargetChannels != first.TargetChannels)
            {
                throw new ArgumentException(
                    $"Sample {i} has a different kind of target than sample 0 (class map, value bands or none, and their count must match).", nameof(samples));
            }
        }

        Grid = grid;
    }

    /// <inheritdoc />
    public SphereGrid Grid { get; }

    /// <inheritdoc />
    public int Count => _samples.Length;

    /// <inheritdoc />
    public int InputChannels => _samples[0].InputChannels;

    /// <inheritdoc />
    public SphereSample Get(int index)
    {
        if ((uint)index >= (uint)_samples.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The dataset has {_samples.Length} samples (0..{_samples.Length - 1}).");
        }

        return _samples[index];
    }
}
