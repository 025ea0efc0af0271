namespace Disco.Geo.Scenes.Numerics;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit counter passed through a strong bit mixer. Used to seed
/// <see cref="RandomStream"/>, to derive independent per-item seeds from one dataset seed, and as the lattice hash of
/// procedural textures. Pure integer arithmetic, so identical on every machine.
/// </summary>
internal static class SplitMix64
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15;

    /// <summary>Advances <paramref name="state"/> and returns the next output.</summary>
    public static ulong Next(ref ulong state)
    {
        state += GoldenGamma;
        return Mix(state);
    }

    /// <summary>The SplitMix64 finaliser: a bijection on 64-bit values with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }

    /// <summary>A seed for sub-stream <paramref name="index"/> of <paramref name="seed"/>; distinct indices give unrelated seeds.</summary>
    public static ulong Derive(ulong seed, ulong index) => Mix(Mix(seed ^ 0x5DEECE66DUL) + (index + 1) * GoldenGamma);

    /// <summary>
    /// Hash of a 2D integer lattice point under a seed, as a double in [0, 1). The coordinates are spread by two odd
    /// multipliers and mixed once: weaker than chained mixing, but ample for texture noise, and noise is hot.
    /// </summary>
    public static double Lattice(ulong seed, long x, long y)
    {
        ulong h = Mix(seed ^ ((ulong)x * GoldenGamma) ^ ((ulong)y * 0xC2B2AE3D27D4EB4FUL));
        return (h >> 11) * (1.0 / (1UL << 53));
    }
}
