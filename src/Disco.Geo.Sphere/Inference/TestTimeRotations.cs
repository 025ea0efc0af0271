using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Inference;

/// <summary>How test-time rotation averaging picks its rotations and moves signals.</summary>
internal enum RotationAveragingScheme
{
    /// <summary>
    /// Rotations that map the grid onto itself first (identity, north–south flip, rolls), applied as permutations; then
    /// uniform random rotations with bicubic, pole-aware resampling of the input and of the raw outputs (logits) back.
    /// </summary>
    ExactFirst,

    /// <summary>
    /// The scheme before exact-first (kept to measure against): the identity and uniform random rotations, input and
    /// physical output (probabilities) resampled bilinearly.
    /// </summary>
    RandomBilinear,

    /// <summary>
    /// The identity and uniform random rotations like <see cref="RandomBilinear"/>, moved like the resampled part of
    /// <see cref="ExactFirst"/> (bicubic, logits moved back): measures the interpolation apart from the choice of rotations.
    /// </summary>
    RandomBicubic,
}

/// <summary>
/// The rotations of test-time averaging on one grid. Exact-first: a model whose layers step down by a factor s in
/// longitude (s = NLon of the input grid / NLon of the coarsest level) is exactly equivariant to rolls by multiples of
/// s columns, up to rounding, so rolls by other whole columns are the ones that can change its output: the plan takes
/// the identity and rolls at evenly spread phases j·s/M (mod s), spread around the globe, then the same rolls after the
/// north–south flip (where <see cref="GridSymmetry.FlipIsExact"/>), up to 2s exact rotations; beyond that, random
/// rotations resampled bicubically.
/// </summary>
internal static class TestTimeRotations
{
    /// <summary>The rotations of an average over <paramref name="count"/> (≥ 1), the identity first.</summary>
    /// <param name="grid">The model's grid.</param>
    /// <param name="count">How many rotations to average over.</param>
    /// <param name="columnStride">Columns of the input grid per column of the model's coarsest level (1 when unknown).</param>
    /// <param name="seed">Seed of the random rotations.</param>
    /// <param name="scheme">How to pick them.</param>
    public static IReadOnlyList<Rotation> Plan(SphereGrid grid, int count, int columnStride, long seed, RotationAveragingScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        List<Rotation> rotations = [];
        if (scheme == RotationAveragingScheme.ExactFirst)
        {
            foreach (GridSymmetry symmetry in ExactSymmetries(grid, count, columnStride))
            {
                rotations.Add(symmetry.ToRotation(grid));
            }
        }
        else
        {
            rotations.Add(Rotation.Identity);
        }

        for (int k = rotations.Count; k < count; k++)
        {
            rotations.Add(Rotation.Random(new SeededRandom(SeededRandom.Mix(seed, SeededRandom.TestTimeStream, (ulong)k))));
        }

        return rotations;
    }

    /// <summary>
    /// Up to <paramref name="count"/> distinct grid symmetries in the exact-first order: the identity and rolls at the
    /// other phases (at most s), then the same rolls after the north–south flip; at most 2 × min(s, NLon) (half that
    /// without the flip). Rolls come first because they keep the globe upright: a model trained on upright globes sees
    /// a flipped globe upside down, which costs an anisotropic or planar model accuracy on upright data (measured in
    /// bench/results/rotation-averaging.md).
    /// </summary>
    public static IReadOnlyList<GridSymmetry> ExactSymmetries(SphereGrid grid, int count, int columnStride)
    {
        ArgumentNullException.ThrowIfNull(grid);
        int stride = Math.Clamp(columnStride, 1, grid.NLon);
        int flips = GridSymmetry.FlipIsExact(grid) ? 2 : 1;
        int used = Math.Min(count, flips * stride);
        int phases = Math.Min(used, stride);
        int coarseSpread = grid.NLon / stride / phases; // coarse columns between consecutive rolls: spread around the globe
        List<GridSymmetry> symmetries = [];
        for (int k = 0; k < used; k++)
        {
            int j = k % phases;
            int roll = (int)((j * (long)stride * coarseSpread + (long)Math.Round(j * (double)stride / phases)) % grid.NLon);
            symmetries.Add(new GridSymmetry(k >= phases, roll));
        }

        return symmetries;
    }

    /// <summary>
    /// The average of the physical outputs over <paramref name="rotations"/>: for each R, the model's raw output on R·x,
    /// moved back by R⁻¹, then made physical, or (the old scheme) made physical and then moved back bilinearly.
    /// </summary>
    /// <param name="input">Inputs [B, C, NLat, NLon].</param>
    /// <param name="grid">Their grid.</param>
    /// <param name="rotations">From <see cref="Plan"/>.</param>
    /// <param name="scheme">How to move signals.</param>
    /// <param name="forward">The model's raw output.</param>
    /// <param name="toPhysical">Raw output → physical output (a per-node map, e.g. softmax over channels).</param>
    public static Tensor Average(
        Tensor input, SphereGrid grid, IReadOnlyList<Rotation> rotations, RotationAveragingScheme scheme, Func<Tensor, Tensor> forward, Func<Tensor, Tensor> toPhysical)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(rotations);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(toPhysical);
        using DisposeScope scope = NewDisposeScope();
        Interpolation interpolation = scheme == RotationAveragingScheme.RandomBilinear ? Interpolation.Bilinear : Interpolation.Bicubic;
        Tensor? sum = null;
        foreach (Rotation rotation in rotations)
        {
            using DisposeScope inner = NewDisposeScope();
            Tensor physical;
            if (ReferenceEquals(rotation, Rotation.Identity) || (GridSymmetry.TryFind(rotation, grid, out GridSymmetry s) && s == GridSymmetry.Identity))
            {
                physical = toPhysical(forward(input));
            }
            else
            {
                GridRotation there = GridRotation.Create(grid, rotation, interpolation);
                GridRotation back = GridRotation.Create(grid, rotation.Inverse(), interpolation);
                Tensor raw = forward(there.Interpolate(input));
                physical = scheme == RotationAveragingScheme.RandomBilinear ? back.Interpolate(toPhysical(raw)) : toPhysical(back.Interpolate(raw));
            }

            if (sum is null)
            {
                sum = physical.MoveToOuterDisposeScope();
            }
            else
            {
                sum.add_(physical, Runtime.Scalars.One);
            }
        }

        // Held across the native call: see Runtime.Scalars.
        using Scalar count = ((double)rotations.Count).ToScalar();
        Tensor result = rotations.Count > 1 ? sum!.div_(count) : sum!;
        return result.MoveToOuterDisposeScope();
    }
}
