using Disco.Geo.Grids;
using Disco.Geo.Sphere.Rotations;

namespace Disco.Geo.Sphere.Data;

/// <summary>Random rotations applied to a sample (the same one to its input, target and mask).</summary>
public enum RotationAugmentation
{
    /// <summary>No rotation.</summary>
    None,

    /// <summary>A random rotation about the polar axis by a whole number of longitude columns: an exact roll, no interpolation.</summary>
    ZRoll,

    /// <summary>A rotation drawn uniformly from SO(3): inputs resampled bilinearly, targets and masks by nearest node.</summary>
    SO3,
}

/// <summary>Draws the rotation of one sample from a seeded generator.</summary>
internal static class RotationSampler
{
    /// <summary>A random rotation of the given kind on <paramref name="grid"/>, or null for <see cref="RotationAugmentation.None"/>.</summary>
    public static GridRotation? Draw(RotationAugmentation kind, SphereGrid grid, SeededRandom random) => kind switch
    {
        RotationAugmentation.None => null,
        RotationAugmentation.ZRoll => GridRotation.Create(grid, Rotation.AboutZ(2 * Math.PI * random.Next(grid.NLon) / grid.NLon)),
        RotationAugmentation.SO3 => GridRotation.Create(grid, Rotation.Random(random)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown rotation augmentation."),
    };
}
