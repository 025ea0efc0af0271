using System.Globalization;

namespace Disco.Geo.Raster.Rendering;

/// <summary>An RGBA colour.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
/// <param name="A">Alpha (255 opaque).</param>
public readonly record struct Rgba(byte R, byte G, byte B, byte A = 255)
{
    /// <summary>Fully transparent black, used for invalid nodes.</summary>
    public static Rgba Transparent => new(0, 0, 0, 0);

    /// <summary>Parses "#rrggbb".</summary>
    public static Rgba Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        string digits = hex.TrimStart('#');
        if (digits.Length != 6 || !int.TryParse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int value))
        {
            throw new ArgumentException($"'{hex}' is not a colour; use #rrggbb.", nameof(hex));
        }

        return new Rgba((byte)(value >> 16), (byte)(value >> 8), (byte)value);
    }
}

/// <summary>
/// Maps values to colours: continuous maps interpolate linearly between colour stops over a value range (values outside
/// are clamped); categorical maps give each class id its class colour (unknown ids are transparent).
/// </summary>
public sealed class ColorMap
{
    private readonly double[] _positions;
    private readonly Rgba[] _colors;
    private readonly Dictionary<int, Rgba>? _classes;

    private ColorMap(string name, double[] positions, Rgba[] colors, Dictionary<int, Rgba>? classes)
    {
        Name = name;
        _positions = positions;
        _colors = colors;
        _classes = classes;
    }

    /// <summary>Name of the colour map ("viridis", "classes", …).</summary>
    public string Name { get; }

    /// <summary>True for class maps.</summary>
    public bool IsCategorical => _classes is not null;

    /// <summary>Lowest value of the range (continuous maps).</summary>
    public double Minimum => _positions.Length == 0 ? 0 : _positions[0];

    /// <summary>Highest value of the range (continuous maps).</summary>
    public double Maximum => _positions.Length == 0 ? 0 : _positions[^1];

    /// <summary>
    /// The colour stops of a continuous map, lowest value first (colours in between are interpolated linearly); empty
    /// for class maps. Legends (e.g. a TileJSON document) describe the ramp with these.
    /// </summary>
    public IReadOnlyList<(double Value, Rgba Color)> Stops => [.. _positions.Zip(_colors)];

    /// <summary>Perceptually uniform viridis (dark violet → yellow) over [min, max].</summary>
    public static ColorMap Viridis(double min, double max) => Stretch("viridis", min, max,
        ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"]);

    /// <summary>Black → white over [min, max].</summary>
    public static ColorMap Grayscale(double min, double max) => Stretch("gray", min, max, ["#000000", "#ffffff"]);

    /// <summary>Diverging blue → white → red over [min, max] (for anomalies, differences).</summary>
    public static ColorMap BlueWhiteRed(double min, double max) => Stretch("bwr", min, max,
        ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"]);

    /// <summary>Hypsometric tints for elevation in metres: blues below sea level, greens, browns and white above.</summary>
    public static ColorMap Elevation() => new("elevation",
        [-11000, -6000, -3000, -200, 0, 1, 300, 1000, 2000, 3500, 6000, 9000],
        [.. new[] { "#08173a", "#08306b", "#2171b5", "#6baed6", "#c6dbef", "#1a9850", "#91cf60", "#d9ef8b", "#c2a267", "#8c510a", "#e0e0e0", "#ffffff" }.Select(Rgba.Parse)],
        null);

    /// <summary>The colours of a class list.</summary>
    public static ColorMap Categorical(IReadOnlyList<MapClass> classes)
    {
        MapClass.Validate(classes, nameof(classes));
        return new ColorMap("classes", [], [], classes.ToDictionary(c => c.Id, c => new Rgba(c.Red, c.Green, c.Blue)));
    }

    /// <summary>A named continuous map: "viridis", "gray", "bwr" or "elevation" (which ignores the range).</summary>
    /// <exception cref="ArgumentException">The name is unknown or the range is empty.</exception>
    public static ColorMap Named(string name, double min, double max) => name.Trim().ToLowerInvariant() switch
    {
        "viridis" => Viridis(min, max),
        "gray" or "grey" or "grayscale" => Grayscale(min, max),
        "bwr" or "blue-white-red" => BlueWhiteRed(min, max),
        "elevation" or "terrain" => Elevation(),
        _ => throw new ArgumentException($"Unknown colour map '{name}'. Use viridis, gray, bwr or elevation.", nameof(name)),
    };

    /// <summary>The colour of a value (NaN and unknown classes are transparent).</summary>
    // Hot loop: compiled optimised at once; tiering would run the first calls unoptimised on a busy machine.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public Rgba Map(double value)
    {
        if (double.IsNaN(value))
        {
            return Rgba.Transparent;
        }

        if (_classes is not null)
        {
            return _classes.TryGetValue((int)Math.Round(value), out Rgba colour) ? colour : Rgba.Transparent;
        }

        if (value <= _positions[0])
        {
            return _colors[0];
        }

        if (value >= _positions[^1])
        {
            return _colors[^1];
        }

        int upper = Array.BinarySearch(_positions, value);
        if (upper >= 0)
        {
            return _colors[upper];
        }

        upper = ~upper;
        double t = (value - _positions[upper - 1]) / (_positions[upper] - _positions[upper - 1]);
        Rgba a = _colors[upper - 1];
        Rgba b = _colors[upper];
        return new Rgba(Lerp(a.R, b.R, t), Lerp(a.G, b.G, t), Lerp(a.B, b.B, t), Lerp(a.A, b.A, t));
    }

    private static ColorMap Stretch(string name, double min, double max, string[] hex)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(max > min))
        {
            throw new ArgumentException($"The range {min}..{max} of colour map '{name}' is empty or not finite; give min < max.", nameof(min));
        }

        double[] positions = new double[hex.Length];
        for (int i = 0; i < hex.Length; i++)
        {
            positions[i] = min + (max - min) * i / (hex.Length - 1);
        }

        return new ColorMap(name, positions, hex.Select(Rgba.Parse).ToArray(), null);
    }

    private static byte Lerp(byte a, byte b, double t) => (byte)Math.Round(a + (b - a) * t);
}
