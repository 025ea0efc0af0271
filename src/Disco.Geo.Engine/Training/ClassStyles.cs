namespace Disco.Geo.Engine.Training;

/// <summary>
/// Names and display colours of segmentation classes. Names come from the request (ModelConfig.class_names); without
/// them classes are "class_0", "class_1", …. Colours follow the name when it is a common land-cover or indoor class
/// (water blue, land green, ice white, …) so that exports and map tiles look as expected; other classes take a
/// palette whose first two entries are water blue and land green, the usual meaning of label 0/1 from a land layer.
/// </summary>
internal static class ClassStyles
{
    private static readonly string[] Palette =
        ["#1f4e9c", "#3c8d2f", "#d9a441", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d", "#e67e22", "#2c3e50", "#f1c40f"];

    private static readonly Dictionary<string, string> Named = new(StringComparer.OrdinalIgnoreCase)
    {
        ["water"] = "#1f4e9c",
        ["ocean"] = "#1f4e9c",
        ["sea"] = "#1f4e9c",
        ["lake"] = "#3b7dd8",
        ["river"] = "#3b7dd8",
        ["land"] = "#3c8d2f",
        ["forest"] = "#1e6b30",
        ["vegetation"] = "#4caf50",
        ["grass"] = "#7cb342",
        ["cropland"] = "#c9b458",
        ["desert"] = "#e0c27a",
        ["bare"] = "#b8a07e",
        ["urban"] = "#9e9e9e",
        ["ice"] = "#f2f6fa",
        ["snow"] = "#f2f6fa",
        ["cloud"] = "#d9d9d9",
        ["floor"] = "#8d6e63",
        ["ceiling"] = "#eeeeee",
        ["wall"] = "#bdbdbd",
        ["object"] = "#e65100",
        ["background"] = "#000000",
    };

    /// <summary>The class names: the requested ones, or "class_i".</summary>
    public static string[] Names(IReadOnlyList<string> requested, int classes) =>
        requested.Count > 0 ? [.. requested] : [.. Enumerable.Range(0, classes).Select(i => $"class_{i}")];

    /// <summary>"#rrggbb" per class.</summary>
    public static string[] Colors(IReadOnlyList<string> names) =>
        [.. names.Select((name, i) => Named.TryGetValue(name.Trim(), out string? color) ? color : Palette[i % Palette.Length])];
}
