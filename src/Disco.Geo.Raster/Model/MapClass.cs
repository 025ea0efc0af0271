namespace Disco.Geo.Raster;

/// <summary>One class of a class map: its id (the value in the map), a display name and a colour.</summary>
/// <param name="Id">Class id, 0..65534.</param>
/// <param name="Name">Name shown in QGIS legends, GeoJSON properties and statistics.</param>
/// <param name="Red">Red 0..255.</param>
/// <param name="Green">Green 0..255.</param>
/// <param name="Blue">Blue 0..255.</param>
public sealed record MapClass(int Id, string Name, byte Red, byte Green, byte Blue)
{
    /// <summary>Checks a class list: ids unique and within 0..65534, names non-empty.</summary>
    /// <exception cref="ArgumentException">The list is inconsistent.</exception>
    public static void Validate(IReadOnlyList<MapClass> classes, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(classes);
        HashSet<int> ids = [];
        foreach (MapClass item in classes)
        {
            if (item.Id is < 0 or > 65534)
            {
                throw new ArgumentException($"Class '{item.Name}' has id {item.Id}; class ids must be within 0..65534.", parameterName);
            }

            if (!ids.Add(item.Id))
            {
                throw new ArgumentException($"Class id {item.Id} appears twice; give each class its own id.", parameterName);
            }

            if (string.IsNullOrWhiteSpace(item.Name))
            {
                throw new ArgumentException($"Class {item.Id} has no name.", parameterName);
            }
        }
    }

    /// <summary>
    /// Distinct colours for ids 0..count−1 (a fixed qualitative palette, repeated with darker shades beyond 12), with
    /// names "class 0", "class 1", … when none are known.
    /// </summary>
    public static IReadOnlyList<MapClass> Default(int count, IReadOnlyList<string>? names = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        MapClass[] classes = new MapClass[count];
        for (int id = 0; id < count; id++)
        {
            (byte r, byte g, byte b) = Palette[id % Palette.Length];
            int shade = id / Palette.Length;
            double factor = Math.Pow(0.7, shade);
            classes[id] = new MapClass(id, names is not null && id < names.Count ? names[id] : $"class {id}",
                (byte)(r * factor), (byte)(g * factor), (byte)(b * factor));
        }

        return classes;
    }

    // A 12-colour qualitative palette (ColorBrewer "Paired" order, chosen so that neighbouring ids differ strongly).
    private static readonly (byte R, byte G, byte B)[] Palette =
    [
        (31, 120, 180), (51, 160, 44), (227, 26, 28), (255, 127, 0), (106, 61, 154), (177, 89, 40),
        (166, 206, 227), (178, 223, 138), (251, 154, 153), (253, 191, 111), (202, 178, 214), (255, 255, 153),
    ];
}
