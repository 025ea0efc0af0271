namespace Disco.Geo.Sphere.Data;

/// <summary>
/// A small, fast generator (SplitMix64) whose whole state is one 64-bit word, derived from a seed and counters by
/// <see cref="Mix"/>. The trainer draws each epoch's order and each sample's augmentation from a generator seeded by
/// (seed, stream, epoch or step, slot), so nothing but the counters needs to be saved for a resumed run to draw the
/// same numbers. It subclasses <see cref="System.Random"/> so APIs such as <c>Rotation.Random</c> can use it, and its
/// sequence is fixed here, independent of the .NET version.
/// </summary>
internal sealed class SeededRandom : Random
{
    public const ulong OrderStream = 0x4F52444552UL;        // "ORDER"
    public const ulong AugmentStream = 0x4155474D454EUL;    // "AUGMEN"
    public const ulong SplitStream = 0x53504C4954UL;        // "SPLIT"
    public const ulong TestTimeStream = 0x5454415547UL;     // "TTAUG"

    private ulong _state;

    public SeededRandom(ulong state)
    {
        _state = state;
    }

    /// <summary>Hashes a seed and counters into a well-mixed state.</summary>
    public static ulong Mix(long seed, params ulong[] parts)
    {
        ulong h = Finalize((ulong)seed ^ 0x9E3779B97F4A7C15UL);
        foreach (ulong part in parts)
        {
            h = Finalize(h ^ Finalize(part + 0x632BE59BD9B4E019UL));
        }

        return h;
    }

    /// <summary>A permutation of 0..n−1 (Fisher–Yates).</summary>
    public static int[] Permutation(int n, ulong state)
    {
        SeededRandom random = new(state);
        int[] order = Enumerable.Range(0, n).ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Finalize(_state);
    }

    public override double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1U << 24));

    public override int Next() => (int)(NextUInt64() >> 33);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextInt64(maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)(minValue + NextInt64((long)maxValue - minValue));
    }

    public override long NextInt64() => (long)(NextUInt64() >> 1);

    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return maxValue <= 1 ? 0 : (long)(ulong)(((UInt128)NextUInt64() * (ulong)maxValue) >> 64);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + NextInt64(maxValue - minValue);
    }

    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    public override void NextBytes(Span<byte> buffer)
    {
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(NextUInt64() >> 56);
        }
    }

    protected override double Sample() => NextDouble();

    private static ulong Finalize(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
