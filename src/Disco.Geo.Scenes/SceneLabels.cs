namespace Disco.Geo.Scenes;

/// <summary>
/// The semantic classes of rendered label maps: one byte per pixel. Doors, windows and skirting are part of the wall;
/// ceiling light panels are part of the ceiling; furniture, shelves, pictures and lamps are objects.
/// </summary>
public static class SceneLabels
{
    /// <summary>The floor.</summary>
    public const byte Floor = 0;

    /// <summary>The ceiling, including light panels set into it.</summary>
    public const byte Ceiling = 1;

    /// <summary>Walls, including doors, windows and skirting boards.</summary>
    public const byte Wall = 2;

    /// <summary>Everything placed in the room: furniture, shelves, pictures, lamps.</summary>
    public const byte Object = 3;

    /// <summary>Number of classes; labels are 0 .. ClassCount − 1.</summary>
    public const int ClassCount = 4;

    private static readonly string[] ClassNames = ["floor", "ceiling", "wall", "object"];

    private static readonly (byte R, byte G, byte B)[] Colors =
    [
        (170, 120, 60),  // floor: warm brown
        (235, 225, 140), // ceiling: pale yellow
        (80, 130, 200),  // wall: blue
        (220, 60, 60),   // object: red
    ];

    /// <summary>Lower-case class names indexed by label: floor, ceiling, wall, object.</summary>
    public static IReadOnlyList<string> Names => ClassNames;

    /// <summary>Suggested display colours (8-bit sRGB) indexed by label.</summary>
    public static IReadOnlyList<(byte R, byte G, byte B)> DisplayColors => Colors;
}
