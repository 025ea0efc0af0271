using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Materials;

/// <summary>
/// Evaluates a <see cref="Material"/> at texture coordinates (u, v) in metres. <c>footprint</c> is the width of the
/// pixel on the surface in metres: every pattern is box-filtered or faded to its mean over it, so distant and grazing
/// surfaces look smooth rather than noisy.
/// </summary>
internal static class TextureSampler
{
    private static readonly Rgb GlassAlbedo = Rgb.Grey(0.04);

    /// <summary>Diffuse reflectance (albedo) and emitted radiance at (u, v).</summary>
    public static void Sample(Material m, double u, double v, double footprint, out Rgb albedo, out Rgb emission)
    {
        emission = Rgb.Black;
        switch (m.Kind)
        {
            case TextureKind.Plaster:
                albedo = Plaster(m, u, v, footprint);
                break;
            case TextureKind.WoodPlanks:
                albedo = RunningBond(m, u, v, footprint, staggerHalf: false, grainStretch: 25);
                break;
            case TextureKind.Bricks:
                albedo = RunningBond(m, u, v, footprint, staggerHalf: true, grainStretch: 1);
                break;
            case TextureKind.Tiles:
                albedo = Tiles(m, u, v, footprint);
                break;
            case TextureKind.Checker:
                albedo = Checker(m, u, v, footprint);
                break;
            case TextureKind.Stripes:
                albedo = Stripes(m, u, v, footprint);
                break;
            case TextureKind.Fabric:
                albedo = Fabric(m, u, v, footprint);
                break;
            case TextureKind.Door:
                albedo = Door(m, u, v, footprint);
                break;
            case TextureKind.Window:
                Window(m, u, v, footprint, out albedo, out emission);
                break;
            case TextureKind.Painting:
                albedo = Painting(m, u, v, footprint);
                break;
            case TextureKind.LightPanel:
                double frame = Frame(u, v, m.Width, m.Height, 0.03, footprint);
                albedo = Rgb.Lerp(m.Primary, m.Secondary, frame);
                emission = m.Emission * (1 - frame);
                break;
            case TextureKind.Glow:
                albedo = m.Primary;
                emission = m.Emission;
                break;
            default:
                albedo = m.Primary * (1 + 2 * m.Variation * ValueNoise.Fractal(u, v, 0.8, 3, footprint, m.Seed));
                break;
        }

        if (m.BandHeight > 0)
        {
            double band = Math.Clamp((m.BandHeight - v) / Math.Max(footprint, 1e-6) + 0.5, 0, 1);
            double edge = FilteredPatterns.Stroke(v - m.BandHeight, 0.004, footprint);
            albedo = Rgb.Lerp(Rgb.Lerp(albedo, m.BandColor, band), m.BandColor * 0.6, edge);
        }

        albedo = albedo.Saturate();
    }

    private static Rgb Plaster(Material m, double u, double v, double footprint)
    {
        double mottle = ValueNoise.Fractal(u, v, 1.2, 3, footprint, m.Seed);
        double grain = ValueNoise.Fractal(u, v, 14, 2, footprint, m.Seed + 11);
        Rgb tone = Rgb.Lerp(m.Primary, m.Secondary, Math.Clamp(0.5 + 1.5 * mottle, 0, 1));
        return tone * (1 + 2 * m.Variation * grain);
    }

    /// <summary>Courses of elements (planks or bricks) along u, each course offset along u, with joints between.</summary>
    private static Rgb RunningBond(Material m, double u, double v, double footprint, bool staggerHalf, double grainStretch)
    {
        double course = Math.Floor(v / m.Scale);
        long row = (long)course;
        double offset = staggerHalf ? ((row & 1) == 0 ? 0 : 0.5 * m.Length) : SplitMix64.Lattice(m.Seed, row, -7) * m.Length;
        double along = u + offset;
        long column = (long)Math.Floor(along / m.Length);
        double tone = SplitMix64.Lattice(m.Seed, row, column) - 0.5;
        double detail = FilteredPatterns.Detail(footprint, m.Scale);
        Rgb element = Rgb.Lerp(m.Primary, m.Secondary, 0.5 + tone * detail);

        // Grain: noise stretched along the element, so it varies fast across it (wood) or evenly (brick texture).
        double grain = ValueNoise.Fractal(along + column * 7.31, v * grainStretch, 2.5, 2, footprint * grainStretch, m.Seed + 3);
        element *= 1 + 4 * m.Variation * grain;

        double rowJoint = FilteredPatterns.Lines(v, m.Scale, m.JointWidth, footprint);
        double endJoint = FilteredPatterns.Lines(along, m.Length, m.JointWidth, footprint);
        double joint = 1 - (1 - rowJoint) * (1 - endJoint);
        return Rgb.Lerp(element, m.Accent, joint);
    }

    private static Rgb Tiles(Material m, double u, double v, double footprint)
    {
        double tone = SplitMix64.Lattice(m.Seed, (long)Math.Floor(u / m.Scale), (long)Math.Floor(v / m.Scale)) - 0.5;
        double detail = FilteredPatterns.Detail(footprint, m.Scale);
        Rgb tile = Rgb.Lerp(m.Primary, m.Secondary, 0.5 + tone * detail);
        tile *= 1 + 2 * m.Variation * ValueNoise.Fractal(u, v, 6, 2, footprint, m.Seed + 5);
        double grout = 1 - (1 - FilteredPatterns.Lines(u, m.Scale, m.JointWidth, footprint)) *
                           (1 - FilteredPatterns.Lines(v, m.Scale, m.JointWidth, footprint));
        return Rgb.Lerp(tile, m.Accent, grout);
    }

    private static Rgb Checker(Material m, double u, double v, double footprint)
    {
        double weight = 0.5 + 0.5 * FilteredPatterns.Square(u, m.Scale, footprint) * FilteredPatterns.Square(v, m.Scale, footprint);
        Rgb colour = Rgb.Lerp(m.Secondary, m.Primary, weight);
        return colour * (1 + 2 * m.Variation * ValueNoise.Fractal(u, v, 3, 2, footprint, m.Seed));
    }

    private static Rgb Stripes(Material m, double u, double v, double footprint)
    {
        double stripe = FilteredPatterns.Lines(u, m.Scale, 0.5 * m.Scale, footprint);
        Rgb colour = Rgb.Lerp(m.Primary, m.Secondary, stripe);
        double pin = FilteredPatterns.Lines(u - 0.25 * m.Scale, 0.5 * m.Scale, m.JointWidth, footprint);
        colour = Rgb.Lerp(colour, m.Accent, 0.8 * pin);
        return colour * (1 + 2 * m.Variation * ValueNoise.Fractal(u, v, 1.0, 2, footprint, m.Seed));
    }

    private static Rgb Fabric(Material m, double u, double v, double footprint)
    {
        double fibres = ValueNoise.Fractal(u, v, 45, 2, footprint, m.Seed);
        double blotches = ValueNoise.Fractal(u, v, 1.5, 2, footprint, m.Seed + 5);
        return Rgb.Lerp(m.Primary, m.Secondary, Math.Clamp(0.5 + 2 * blotches, 0, 1)) * (1 + 4 * m.Variation * fibres);
    }

    private static Rgb Door(Material m, double u, double v, double footprint)
    {
        const double frameWidth = 0.06;
        double w = m.Width;
        double h = m.Height;
        Rgb leaf = m.Primary * (1 + 2 * m.Variation * ValueNoise.Fractal(u * 20, v, 1.5, 3, footprint * 20, m.Seed));

        // Two recessed panels drawn as thin dark outlines.
        double panelHalfWidth = 0.5 * w - frameWidth - 0.12;
        double upper = RectangleOutline(u - 0.5 * w, v - 0.72 * h, panelHalfWidth, 0.15 * h, 0.008, footprint);
        double lower = RectangleOutline(u - 0.5 * w, v - 0.27 * h, panelHalfWidth, 0.15 * h, 0.008, footprint);
        leaf = Rgb.Lerp(leaf, m.Accent, 0.8 * Math.Max(upper, lower));

        double knobDistance = Math.Sqrt(Sq(u - (w - frameWidth - 0.08)) + Sq(v - 0.95));
        leaf = Rgb.Lerp(leaf, m.Tertiary, Math.Clamp((0.03 - knobDistance) / Math.Max(footprint, 1e-6) + 0.5, 0, 1));

        double frame = Math.Clamp((Math.Min(Math.Min(u, w - u), h - v) - frameWidth) / Math.Max(footprint, 1e-6) + 0.5, 0, 1);
        return Rgb.Lerp(m.Secondary, leaf, frame);
    }

    private static void Window(Material m, double u, double v, double footprint, out Rgb albedo, out Rgb emission)
    {
        double w = m.Width;
        double h = m.Height;
        double frame = Frame(u, v, w, h, 0.06, footprint);
        if (w > 1.1)
        {
            frame = Math.Max(frame, FilteredPatterns.Stroke(u - 0.5 * w, 0.025, footprint));
        }

        frame = Math.Max(frame, FilteredPatterns.Stroke(v - 0.62 * h, 0.02, footprint));

        // The view: sky fading from pale at the horizon to blue, above a band of darker, blotchy ground.
        double horizon = 0.3 * h;
        Rgb view;
        if (v > horizon)
        {
            view = Rgb.Lerp(m.Secondary, m.Primary, Math.Clamp((v - horizon) / (h - horizon), 0, 1));
        }
        else
        {
            double blotch = ValueNoise.Fractal(u, v, 3, 3, footprint, m.Seed);
            view = m.Tertiary * (1 + 1.5 * blotch);
        }

        albedo = Rgb.Lerp(GlassAlbedo, m.Accent, frame);
        emission = view * (m.Emission.R * (1 - frame));
    }

    private static Rgb Painting(Material m, double u, double v, double footprint)
    {
        double a = ValueNoise.Fractal(u, v, 2.5, 2, footprint, m.Seed);
        double b = ValueNoise.Fractal(u, v, 4.0, 2, footprint, m.Seed + 1);
        Rgb canvas = Rgb.Lerp(m.Primary, m.Secondary, Math.Clamp(0.5 + 2.5 * a, 0, 1));
        canvas = Rgb.Lerp(canvas, m.Tertiary, Sq(Math.Clamp(0.5 + 2.5 * b, 0, 1)));
        return Rgb.Lerp(canvas, m.Accent, Frame(u, v, m.Width, m.Height, 0.04, footprint));
    }

    /// <summary>Coverage of a border of <paramref name="border"/> metres around a w × h rectangle at (u, v).</summary>
    private static double Frame(double u, double v, double w, double h, double border, double footprint)
    {
        double inset = Math.Min(Math.Min(u, w - u), Math.Min(v, h - v)) - border;
        return 1 - Math.Clamp(inset / Math.Max(footprint, 1e-6) + 0.5, 0, 1);
    }

    private static double RectangleOutline(double du, double dv, double halfWidth, double halfHeight, double lineHalfWidth, double footprint)
    {
        double distance = Math.Max(Math.Abs(du) - halfWidth, Math.Abs(dv) - halfHeight);
        return FilteredPatterns.Stroke(distance, lineHalfWidth, footprint);
    }

    private static double Sq(double x) => x * x;
}
