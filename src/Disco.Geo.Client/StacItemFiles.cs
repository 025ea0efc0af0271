using System.Text.Json;
using System.Text.Json.Nodes;

namespace Disco.Geo.Client;

/// <summary>
/// Writes the STAC Item that comes with a prediction export beside the file, as NAME.stac.json (NAME: the file name
/// without its extension). Exports of one prediction in several formats to the same NAME (x.tif, x.geojson, x.png)
/// share one Item: its assets accumulate, as long as the files they name are still there.
/// </summary>
internal static class StacItemFiles
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The Item file of an exported file.</summary>
    public static string PathOf(string exportedFile) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(exportedFile))!, Path.GetFileNameWithoutExtension(exportedFile) + ".stac.json");

    public static async Task WriteBesideAsync(string exportedFile, string itemJson, CancellationToken cancellationToken)
    {
        if (JsonNode.Parse(itemJson) is not JsonObject item || item["assets"] is not JsonObject assets)
        {
            throw new InvalidDataException("The server sent a STAC Item that is not a JSON object with assets.");
        }

        // The server names the file as it would; the Item points at the name it was saved under.
        string href = "./" + Path.GetFileName(exportedFile);
        foreach ((string _, JsonNode? asset) in assets)
        {
            if (asset is JsonObject a)
            {
                a["href"] = href;
            }
        }

        string itemPath = PathOf(exportedFile);
        if (File.Exists(itemPath) && TryRead(itemPath) is { } earlier && earlier["id"]?.GetValue<string>() == item["id"]?.GetValue<string>())
        {
            Merge(earlier, item, Path.GetDirectoryName(itemPath)!);
        }

        string temporary = itemPath + ".part";
        await File.WriteAllTextAsync(temporary, item.ToJsonString(Indented), cancellationToken);
        File.Move(temporary, itemPath, overwrite: true);
    }

    /// <summary>Keeps the earlier Item's assets whose files still exist and that the new export does not replace.</summary>
    private static void Merge(JsonObject earlier, JsonObject item, string directory)
    {
        var assets = (JsonObject)item["assets"]!;
        if (earlier["assets"] is not JsonObject earlierAssets)
        {
            return;
        }

        string newHref = assets.Select(a => a.Value?["href"]?.GetValue<string>()).FirstOrDefault() ?? "";
        foreach ((string key, JsonNode? asset) in earlierAssets)
        {
            string? href = asset?["href"]?.GetValue<string>();
            if (assets.ContainsKey(key) || href is null || href == newHref || !href.StartsWith("./", StringComparison.Ordinal)
                || !File.Exists(Path.Combine(directory, href[2..])))
            {
                continue;
            }

            assets[key] = asset!.DeepClone();
        }

        var extensions = new SortedSet<string>(StringComparer.Ordinal);
        foreach (JsonObject source in new[] { earlier, item })
        {
            if (source["stac_extensions"] is JsonArray list)
            {
                extensions.UnionWith(list.Select(e => e?.GetValue<string>()).OfType<string>());
            }
        }

        item["stac_extensions"] = new JsonArray([.. extensions.Select(e => (JsonNode)JsonValue.Create(e))]);
    }

    private static JsonObject? TryRead(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
