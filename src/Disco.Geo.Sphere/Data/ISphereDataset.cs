using Disco.Geo.Grids;

namespace Disco.Geo.Sphere.Data;

/// <summary>
/// A set of examples on one sphere grid, read by index. Implementations may load lazily (from tensor files, rasters,
/// a renderer); <see cref="Get"/> is called from the training thread only, once per use, and its result is not cached
/// by the caller. All samples share the grid and the number of input bands.
/// </summary>
public interface ISphereDataset
{
    /// <summary>The grid every sample lives on.</summary>
    SphereGrid Grid { get; }

    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Input bands of every sample.</summary>
    int InputChannels { get; }

    /// <summary>The sample at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    SphereSample Get(int index);
}
