using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Tests.Materials;

public class FilteredPatternTests
{
    [Fact]
    public void Filtered_lines_cover_their_exact_fraction_over_whole_periods_and_point_sample_when_sharp()
    {
        Assert.Equal(0.25, FilteredPatterns.Lines(0.37, 0.2, 0.05, 0.2 * 7), 12);
        Assert.Equal(1, FilteredPatterns.Lines(0.001, 0.2, 0.05, 0));
        Assert.Equal(0, FilteredPatterns.Lines(0.1, 0.2, 0.05, 0));
        Assert.Equal(0, FilteredPatterns.Square(0.13, 0.5, 0.5 * 3), 12);
        Assert.Equal(1, FilteredPatterns.Square(0.1, 0.5, 0));
    }

    [Fact]
    public void Value_noise_stays_in_range_and_fades_to_its_mean_for_wide_footprints()
    {
        RandomStream r = new(1);
        for (int k = 0; k < 10_000; k++)
        {
            double u = r.Uniform(-50, 50);
            double v = r.Uniform(-50, 50);
            Assert.InRange(ValueNoise.Sample(u, v, 9), 0, 1);
            Assert.InRange(ValueNoise.Fractal(u, v, 3, 4, 0, 9), -0.5, 0.5);
            Assert.Equal(0, ValueNoise.Fractal(u, v, 3, 4, 10, 9));
        }
    }

    [Fact]
    public void Every_texture_kind_gives_albedo_in_range_near_and_far()
    {
        RandomStream r = new(2);
        foreach (TextureKind kind in Enum.GetValues<TextureKind>())
        {
            Material material = new()
            {
                Kind = kind,
                Primary = new Rgb(0.9, 0.5, 0.1),
                Secondary = new Rgb(0.1, 0.5, 0.9),
                Accent = Rgb.Grey(0.2),
                Tertiary = Rgb.Grey(0.6),
                Emission = Rgb.Grey(2),
                Variation = 0.2,
                BandHeight = 0.1,
                BandColor = Rgb.Grey(0.9),
                Seed = 5,
            };
            foreach (double footprint in new[] { 0.0, 1e-3, 0.05, 3 })
            {
                for (int k = 0; k < 200; k++)
                {
                    TextureSampler.Sample(material, r.Uniform(-3, 3), r.Uniform(-3, 3), footprint, out Rgb albedo, out Rgb emission);
                    foreach (double channel in new[] { albedo.R, albedo.G, albedo.B })
                    {
                        Assert.InRange(channel, 0, 1);
                    }

                    Assert.True(emission.R >= 0 && double.IsFinite(emission.R), $"{kind} emission");
                }
            }
        }
    }
}
