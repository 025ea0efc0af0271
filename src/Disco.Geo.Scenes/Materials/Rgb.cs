namespace Disco.Geo.Scenes.Materials;

/// <summary>A linear-light colour (albedo, radiance or irradiance), before tone mapping and gamma.</summary>
internal readonly record struct Rgb(double R, double G, double B)
{
    public static Rgb Black => default;

    public static Rgb Grey(double value) => new(value, value, value);

    public double Luminance => 0.2126 * R + 0.7152 * G + 0.0722 * B;

    public static Rgb operator +(Rgb a, Rgb b) => new(a.R + b.R, a.G + b.G, a.B + b.B);

    public static Rgb operator *(Rgb a, Rgb b) => new(a.R * b.R, a.G * b.G, a.B * b.B);

    public static Rgb operator *(Rgb a, double s) => new(a.R * s, a.G * s, a.B * s);

    public static Rgb Lerp(Rgb a, Rgb b, double t) => new(a.R + (b.R - a.R) * t, a.G + (b.G - a.G) * t, a.B + (b.B - a.B) * t);

    /// <summary>Clamps each channel to [0, 1] so that shading stays energy-bounded whatever the texture noise did.</summary>
    public Rgb Saturate() => new(Math.Clamp(R, 0, 1), Math.Clamp(G, 0, 1), Math.Clamp(B, 0, 1));
}
