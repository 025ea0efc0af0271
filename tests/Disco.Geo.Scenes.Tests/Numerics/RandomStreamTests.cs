using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Tests.Numerics;

public class RandomStreamTests
{
    [Fact]
    public void SplitMix64_matches_the_published_first_outputs_for_seed_zero()
    {
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64.Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64.Next(ref state));
    }

    [Fact]
    public void Same_seed_gives_the_same_stream_and_different_seeds_differ()
    {
        RandomStream a = new(5);
        RandomStream b = new(5);
        RandomStream c = new(6);
        int differences = 0;
        for (int k = 0; k < 100; k++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            differences += x != c.NextUInt64() ? 1 : 0;
        }

        Assert.Equal(100, differences);
    }

    [Fact]
    public void Uniform_draws_cover_their_range_evenly()
    {
        RandomStream r = new(7);
        int[] histogram = new int[10];
        double sum = 0;
        const int n = 100_000;
        for (int k = 0; k < n; k++)
        {
            double u = r.NextDouble();
            Assert.InRange(u, 0, 1 - double.Epsilon);
            sum += u;
            histogram[r.NextInt(10)]++;
            Assert.InRange(r.NextInt(3, 5), 3, 5);
        }

        Assert.InRange(sum / n, 0.49, 0.51);
        Assert.All(histogram, count => Assert.InRange(count, 0.09 * n, 0.11 * n));
    }

    [Fact]
    public void Derived_seeds_are_distinct_for_distinct_indices()
    {
        HashSet<ulong> seeds = [];
        for (ulong i = 0; i < 10_000; i++)
        {
            Assert.True(seeds.Add(SplitMix64.Derive(42, i)));
        }
    }
}
