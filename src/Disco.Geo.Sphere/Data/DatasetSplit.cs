using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Data;

/// <summary>A view of some samples of another dataset, by index.</summary>
public sealed class SubsetDataset : ISphereDataset
{
    private readonly ISphereDataset _source;
    private readonly int[] _indices;

    /// <summary>Creates the view.</summary>
    /// <exception cref="ArgumentException">No indices, an index out of range, or a repeated index.</exception>
    public SubsetDataset(ISphereDataset source, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        _indices = [.. indices];
        if (_indices.Length == 0)
        {
            throw new ArgumentException("The subset is empty: give at least one index.", nameof(indices));
        }

        HashSet<int> seen = [];
        foreach (int index in _indices)
        {
            if ((uint)index >= (uint)source.Count)
            {
                throw new ArgumentException($"Index {index} is out of range: the dataset has {source.Count} samples (0..{source.Count - 1}).", nameof(indices));
            }

            if (!seen.Add(index))
            {
                throw new ArgumentException($"Index {index} is listed twice.", nameof(indices));
            }
        }

        _source = source;
    }

    /// <summary>The source indices, in order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc />
    public SphereGrid Grid => _source.Grid;

    /// <inheritdoc />
    public int Count => _indices.Length;

    /// <inheritdoc />
    public int InputChannels => _source.InputChannels;

    /// <inheritdoc />
    public SphereSample Get(int index)
    {
        if ((uint)index >= (uint)_indices.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The subset has {_indices.Length} samples (0..{_indices.Length - 1}).");
        }

        return _source.Get(_indices[index]);
    }
}

/// <summary>Splits a dataset into training and validation parts.</summary>
public static class DatasetSplit
{
    /// <summary>Explicit lists of source indices; they must not overlap.</summary>
    /// <exception cref="ArgumentException">An index is out of range, repeated, or in both lists.</exception>
    public static (ISphereDataset Training, ISphereDataset Validation) ByIndices(ISphereDataset source, IEnumerable<int> training, IEnumerable<int> validation)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        int[] train = [.. training];
        int[] valid = [.. validation];
        int[] both = train.Intersect(valid).ToArray();
        if (both.Length > 0)
        {
            throw new ArgumentException(
                $"Samples [{string.Join(", ", both)}] are in both the training and the validation split; validation must be held out.", nameof(validation));
        }

        return (new SubsetDataset(source, train), new SubsetDataset(source, valid));
    }

    /// <summary>
    /// A seeded random split holding out round(fraction · Count) samples for validation (at least 1, and at least 1 left
    /// for training). The same seed gives the same split.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is not in (0, 1), or the dataset has fewer than 2 samples.</exception>
    public static (ISphereDataset Training, ISphereDataset Validation) Random(ISphereDataset source, double validationFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentException($"validation_fraction = {validationFraction} must be strictly between 0 and 1.", nameof(validationFraction));
        }

        if (source.Count < 2)
        {
            throw new ArgumentException(
                $"Cannot hold out validation samples from a dataset of {source.Count}: give a separate validation dataset or more samples.", nameof(source));
        }

        int held = Math.Clamp((int)Math.Round(validationFraction * source.Count), 1, source.Count - 1);
        int[] order = SeededRandom.Permutation(source.Count, SeededRandom.Mix(seed, SeededRandom.SplitStream));
        return (new SubsetDataset(source, order.Skip(held).Order()), new SubsetDataset(source, order.Take(held).Order()));
    }
}
