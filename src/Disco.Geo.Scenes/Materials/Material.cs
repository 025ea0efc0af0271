namespace Disco.Geo.Scenes.Materials;

/// <summary>
/// A procedural surface: pattern kind, colours in linear light, pattern scales in metres, and emission. Which fields a
/// kind reads is listed in <see cref="TextureSampler"/>; the rest keep their defaults.
/// </summary>
internal sealed record Material
{
    public TextureKind Kind { get; init; }

    public Rgb Primary { get; init; }

    public Rgb Secondary { get; init; }

    /// <summary>Joints, grout, mortar, frames, outlines.</summary>
    public Rgb Accent { get; init; }

    public Rgb Tertiary { get; init; }

    /// <summary>Main pattern size: plank width, tile or brick course size, stripe period.</summary>
    public double Scale { get; init; } = 0.3;

    /// <summary>Second pattern size: plank or brick length.</summary>
    public double Length { get; init; } = 1.0;

    /// <summary>Width of joints, grout and mortar lines.</summary>
    public double JointWidth { get; init; } = 0.004;

    /// <summary>Relative strength of noise and per-element tone variation.</summary>
    public double Variation { get; init; } = 0.1;

    /// <summary>Size of the patch or face the pattern is laid out on (doors, windows, pictures, panels).</summary>
    public double Width { get; init; } = 1.0;

    public double Height { get; init; } = 1.0;

    /// <summary>Height of a skirting band along the bottom of walls; 0 for none.</summary>
    public double BandHeight { get; init; }

    public Rgb BandColor { get; init; }

    /// <summary>Emitted radiance in linear light (windows, light panels, lamp shades).</summary>
    public Rgb Emission { get; init; }

    /// <summary>Seed of this material's noise and per-element variation.</summary>
    public ulong Seed { get; init; }
}
