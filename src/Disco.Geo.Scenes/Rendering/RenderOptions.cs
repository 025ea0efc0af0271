namespace Disco.Geo.Scenes.Rendering;

/// <summary>How to render: anti-aliasing and parallelism. Depth and labels never depend on these.</summary>
public sealed record RenderOptions
{
    /// <summary>Largest accepted <see cref="Supersampling"/>.</summary>
    public const int MaxSupersampling = 4;

    /// <summary>
    /// Rays per pixel along each axis for the RGB image (1 to 4): 2 averages a 2 × 2 grid of rays, at four times the
    /// cost. Depth and labels always come from the single ray through the pixel centre. Textures are filtered to the
    /// pixel footprint either way; supersampling additionally smooths object silhouettes.
    /// </summary>
    public int Supersampling { get; init; } = 1;

    /// <summary>
    /// Threads rendering rows at once; null uses every core. Rows are independent, so the result does not depend on it.
    /// </summary>
    public int? MaxDegreeOfParallelism { get; init; }

    internal void Validate()
    {
        if (Supersampling < 1 || Supersampling > MaxSupersampling)
        {
            throw new ArgumentException(
                $"Supersampling = {Supersampling} is out of range; use 1 (one ray per pixel) to {MaxSupersampling}.", nameof(Supersampling));
        }

        if (MaxDegreeOfParallelism is < 1)
        {
            throw new ArgumentException(
                $"MaxDegreeOfParallelism = {MaxDegreeOfParallelism} must be at least 1, or null for every core.", nameof(MaxDegreeOfParallelism));
        }
    }
}
