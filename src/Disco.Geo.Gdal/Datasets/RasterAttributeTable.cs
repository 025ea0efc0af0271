namespace Disco.Geo.Gdal;

/// <summary>One class of a thematic raster attribute table: a pixel value, its name and its colour.</summary>
/// <param name="Value">The pixel value.</param>
/// <param name="Name">The class name.</param>
/// <param name="Color">The class colour.</param>
public readonly record struct RasterClassRow(int Value, string Name, ColorEntry Color);

/// <summary>
/// What a raster attribute column holds (GDALRATFieldUsage); GIS software picks the value, name and colour columns by
/// their usage, not by their names.
/// </summary>
public enum RasterAttributeUsage
{
    /// <summary>GFU_Generic: anything else.</summary>
    Generic = 0,

    /// <summary>GFU_PixelCount.</summary>
    PixelCount = 1,

    /// <summary>GFU_Name: the class name.</summary>
    Name = 2,

    /// <summary>GFU_Min: lower bound of a value range.</summary>
    Min = 3,

    /// <summary>GFU_Max: upper bound of a value range.</summary>
    Max = 4,

    /// <summary>GFU_MinMax: the single pixel value a row describes.</summary>
    MinMax = 5,

    /// <summary>GFU_Red (0..255).</summary>
    Red = 6,

    /// <summary>GFU_Green (0..255).</summary>
    Green = 7,

    /// <summary>GFU_Blue (0..255).</summary>
    Blue = 8,

    /// <summary>GFU_Alpha (0..255).</summary>
    Alpha = 9,
}

/// <summary>A band's raster attribute table as read back: its columns and every cell as text.</summary>
/// <param name="Columns">Column names and usages, in order.</param>
/// <param name="Rows">Cells, one list per row, in column order.</param>
public sealed record RasterAttributeTable(IReadOnlyList<(string Name, RasterAttributeUsage Usage)> Columns, IReadOnlyList<IReadOnlyList<string>> Rows);
