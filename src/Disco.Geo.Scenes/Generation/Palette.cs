using Disco.Geo.Scenes.Materials;
using Disco.Geo.Scenes.Numerics;

namespace Disco.Geo.Scenes.Generation;

/// <summary>
/// Random colours and materials in the ranges real interiors use: light walls and ceilings, wood and tile floors,
/// saturated upholstery. Colours are drawn as display (sRGB) hue, saturation and value and converted to linear light.
/// </summary>
internal static class Palette
{
    public static Rgb Hsv(double hueDegrees, double saturation, double value)
    {
        double h = (hueDegrees % 360 + 360) % 360 / 60;
        double c = value * saturation;
        double x = c * (1 - Math.Abs(h % 2 - 1));
        (double r, double g, double b) = (int)h switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        double m = value - c;
        return new Rgb(ToLinear(r + m), ToLinear(g + m), ToLinear(b + m));
    }

    public static Rgb Wood(RandomStream r) => Hsv(r.Uniform(18, 42), r.Uniform(0.35, 0.7), r.Uniform(0.3, 0.8));

    public static Rgb WallPaint(RandomStream r) => r.Chance(0.8)
        ? Hsv(r.Uniform(0, 360), r.Uniform(0.03, 0.35), r.Uniform(0.65, 0.93))
        : Hsv(r.Uniform(0, 360), r.Uniform(0.2, 0.6), r.Uniform(0.35, 0.7));

    public static Rgb OffWhite(RandomStream r) => Hsv(r.Uniform(20, 60), r.Uniform(0, 0.08), r.Uniform(0.78, 0.93));

    public static Rgb Any(RandomStream r) => Hsv(r.Uniform(0, 360), r.Uniform(0.1, 0.85), r.Uniform(0.2, 0.9));

    public static Rgb Grey(RandomStream r, double min, double max) => Rgb.Grey(ToLinear(r.Uniform(min, max)));

    public static Material Floor(RandomStream r) => r.PickWeighted([0.45, 0.22, 0.1, 0.23]) switch
    {
        0 => Planks(r, Wood(r)),
        1 => TilesOf(r, Any(r), r.Uniform(0.2, 0.6)),
        2 => new Material
        {
            Kind = TextureKind.Checker,
            Primary = r.Chance(0.5) ? Grey(r, 0.75, 0.92) : Any(r),
            Secondary = r.Chance(0.5) ? Grey(r, 0.08, 0.3) : Any(r),
            Scale = r.Uniform(0.25, 0.6),
            Variation = 0.04,
            Seed = r.NextUInt64(),
        },
        _ => FabricOf(r, Hsv(r.Uniform(0, 360), r.Uniform(0.05, 0.45), r.Uniform(0.25, 0.7))),
    };

    public static Material Wall(RandomStream r)
    {
        Material wall = r.PickWeighted([0.25, 0.25, 0.2, 0.12, 0.08, 0.1]) switch
        {
            0 => new Material { Kind = TextureKind.Paint, Primary = WallPaint(r), Variation = r.Uniform(0.02, 0.08), Seed = r.NextUInt64() },
            1 => PlasterOf(r, WallPaint(r)),
            2 => StripesOf(r),
            3 => new Material
            {
                Kind = TextureKind.Bricks,
                Primary = Hsv(r.Uniform(5, 30), r.Uniform(0.3, 0.7), r.Uniform(0.35, 0.75)),
                Secondary = Hsv(r.Uniform(5, 30), r.Uniform(0.3, 0.7), r.Uniform(0.3, 0.7)),
                Accent = Grey(r, 0.55, 0.85),
                Scale = r.Uniform(0.065, 0.09),
                Length = r.Uniform(0.2, 0.3),
                JointWidth = r.Uniform(0.008, 0.014),
                Variation = r.Uniform(0.05, 0.12),
                Seed = r.NextUInt64(),
            },
            4 => TilesOf(r, WallPaint(r), r.Uniform(0.1, 0.3)),
            _ => Planks(r, Wood(r)),
        };

        return r.Chance(0.6)
            ? wall with { BandHeight = r.Uniform(0.06, 0.16), BandColor = r.Chance(0.6) ? OffWhite(r) : Wood(r) }
            : wall;
    }

    public static Material Ceiling(RandomStream r) => r.PickWeighted([0.7, 0.2, 0.1]) switch
    {
        0 => PlasterOf(r, OffWhite(r)) with { Variation = r.Uniform(0.01, 0.04) },
        1 => TilesOf(r, OffWhite(r), r.Uniform(0.5, 0.65)) with { Accent = Grey(r, 0.45, 0.7), JointWidth = r.Uniform(0.01, 0.025) },
        _ => Planks(r, Wood(r)),
    };

    /// <summary>A material for furniture: solid wood, paint, upholstery, stone or a pattern.</summary>
    public static Material Furniture(RandomStream r) => r.PickWeighted([0.35, 0.3, 0.2, 0.08, 0.07]) switch
    {
        0 => SolidWood(r),
        1 => new Material { Kind = TextureKind.Paint, Primary = Any(r), Variation = 0.03, Seed = r.NextUInt64() },
        2 => FabricOf(r, Any(r)),
        3 => PlasterOf(r, Grey(r, 0.3, 0.8)),
        _ => r.Chance(0.5) ? StripesOf(r) with { Scale = r.Uniform(0.04, 0.15) } : TilesOf(r, Any(r), r.Uniform(0.05, 0.15)),
    };

    public static Material SolidWood(RandomStream r)
    {
        Rgb wood = Wood(r);
        return new Material
        {
            Kind = TextureKind.WoodPlanks,
            Primary = wood,
            Secondary = wood * r.Uniform(0.7, 0.95),
            Scale = 10,
            Length = 10,
            JointWidth = 0,
            Variation = r.Uniform(0.06, 0.14),
            Seed = r.NextUInt64(),
        };
    }

    public static Material Upholstery(RandomStream r) => FabricOf(r, Any(r));

    private static Material Planks(RandomStream r, Rgb wood) => new()
    {
        Kind = TextureKind.WoodPlanks,
        Primary = wood,
        Secondary = wood * r.Uniform(0.55, 0.85),
        Accent = wood * 0.3,
        Scale = r.Uniform(0.09, 0.25),
        Length = r.Uniform(0.6, 2.4),
        JointWidth = r.Uniform(0.002, 0.005),
        Variation = r.Uniform(0.08, 0.16),
        Seed = r.NextUInt64(),
    };

    private static Material TilesOf(RandomStream r, Rgb colour, double size) => new()
    {
        Kind = TextureKind.Tiles,
        Primary = colour,
        Secondary = colour * r.Uniform(0.8, 0.97),
        Accent = Grey(r, 0.3, 0.85),
        Scale = size,
        JointWidth = r.Uniform(0.003, 0.01),
        Variation = r.Uniform(0.02, 0.06),
        Seed = r.NextUInt64(),
    };

    private static Material PlasterOf(RandomStream r, Rgb colour) => new()
    {
        Kind = TextureKind.Plaster,
        Primary = colour,
        Secondary = colour * r.Uniform(0.85, 0.97),
        Variation = r.Uniform(0.02, 0.06),
        Seed = r.NextUInt64(),
    };

    private static Material FabricOf(RandomStream r, Rgb colour) => new()
    {
        Kind = TextureKind.Fabric,
        Primary = colour,
        Secondary = colour * r.Uniform(0.75, 0.95),
        Variation = r.Uniform(0.05, 0.12),
        Seed = r.NextUInt64(),
    };

    private static Material StripesOf(RandomStream r)
    {
        Rgb first = WallPaint(r);
        return new Material
        {
            Kind = TextureKind.Stripes,
            Primary = first,
            Secondary = r.Chance(0.5) ? first * r.Uniform(0.7, 0.9) : WallPaint(r),
            Accent = r.Chance(0.5) ? OffWhite(r) : Any(r),
            Scale = r.Uniform(0.08, 0.4),
            JointWidth = r.Uniform(0.003, 0.008),
            Variation = r.Uniform(0.02, 0.05),
            Seed = r.NextUInt64(),
        };
    }

    // Display value → linear light with the 2.2 power law; close enough to sRGB for choosing colours.
    private static double ToLinear(double display) => DeterministicMath.Pow(Math.Clamp(display, 0, 1), 2.2);
}
