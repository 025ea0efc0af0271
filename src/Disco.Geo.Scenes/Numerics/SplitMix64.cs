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
    /// Hash of a 2D integer lattice point under a seed, as a double in [0, 1). A 32-bit integer finaliser
    /// (xor-shift-multiply, the "lowbias32" constants) over a linear mix of the coordinates: far weaker than SplitMix64
    /// but ample for texture noise, and cheap, since noise evaluates it four times per octave.
    /// </summary>
    public static double Lattice(ulong seed, long x, long y)
    {
        uint h = (uint)x * 0x27D4EB2Du + (uint)y * 0x165667B1u + (uint)seed + (uint)(seed >> 32) * 0x9E3779B9u;
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        h ^= h >> 16;
        return h * (1.0 / 4294967296.0);
    }
}
