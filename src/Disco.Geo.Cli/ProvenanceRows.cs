using System.Globalization;
using System.Text.Json;

namespace Disco.Geo.Cli;

/// <summary>
/// A dataset's provenance (the JSON the ingest writes: grid, sources, bands) as FIELD/VALUE rows for `disco datasets
/// show`. Keys it does not know are shown as JSON, so a newer server's additions are never hidden.
/// </summary>
internal static class ProvenanceRows
{
    public static IEnumerable<string[]> From(string provenanceJson)
    {
        if (string.IsNullOrWhiteSpace(provenanceJson))
        {
            return [];
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(provenanceJson);
            return document.RootElement.ValueKind == JsonValueKind.Object ? Rows(document.RootElement).ToList() : [["provenance", provenanceJson]];
        }
        catch (JsonException)
        {
            return [["provenance", provenanceJson]];
        }
    }

    private static IEnumerable<string[]> Rows(JsonElement root)
    {
        foreach (JsonProperty property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "grid" when property.Value.ValueKind == JsonValueKind.String:
                    yield return ["ingested onto", property.Value.GetString()!];
                    break;
                case "sources" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (string[] row in property.Value.EnumerateArray().SelectMany(Source))
                    {
                        yield return row;
                    }

                    break;
                case "bands" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement band in property.Value.EnumerateArray())
                    {
                        yield return Band(band);
                    }

                    break;
                case "time" when property.Value.ValueKind == JsonValueKind.Object:
                    // Count, first and last come from the record's steps (TimeAxisRows); these say how they were read.
                    foreach (JsonProperty item in property.Value.EnumerateObject().Where(i => i.Name is "dimension" or "units" or "calendar" or "note" && i.Value.ValueKind == JsonValueKind.String))
                    {
                        yield return ["time " + item.Name, item.Value.GetString()!];
                    }

                    break;
                default:
                    yield return ["provenance " + property.Name, Text(property.Value)];
                    break;
            }
        }
    }

    private static IEnumerable<string[]> Source(JsonElement source)
    {
        if (source.ValueKind != JsonValueKind.Object)
        {
            yield return ["source", Text(source)];
            yield break;
        }

        string label = "source " + (Get(source, "index") ?? "?");
        if (Get(source, "source") is { } name)
        {
            label += $" ({name})";
        }

        IEnumerable<string> what = new[] { Get(source, "kind"), Get(source, "driver"), Get(source, "layer") is { } layer ? "layer " + layer : null }.OfType<string>();
        yield return [label, string.Join(", ", what)];
        foreach (JsonProperty property in source.EnumerateObject())
        {
            switch (property.Name)
            {
                case "index" or "source" or "kind" or "driver" or "layer":
                    break;
                case "paths" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement path in property.Value.EnumerateArray())
                    {
                        yield return ["  file", Text(path)];
                    }

                    break;
                case "size" when property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() == 2:
                    yield return ["  size", $"{Text(property.Value[0])} x {Text(property.Value[1])} pixels"];
                    break;
                case "notes" when property.Value.ValueKind == JsonValueKind.Array:
                    foreach (JsonElement note in property.Value.EnumerateArray())
                    {
                        yield return ["  note", Text(note)];
                    }

                    break;
                case "resampling" when property.Value.ValueKind == JsonValueKind.Object:
                    yield return ["  resampling", string.Join(", ", property.Value.EnumerateObject().Select(r => $"{r.Name} {Text(r.Value)}"))];
                    break;
                default:
                    yield return ["  " + property.Name, Text(property.Value)];
                    break;
            }
        }
    }

    private static string[] Band(JsonElement band)
    {
        if (band.ValueKind != JsonValueKind.Object)
        {
            return ["band", Text(band)];
        }

        var parts = new List<string>();
        if (Get(band, "role") is { } role)
        {
            parts.Add(role);
        }

        parts.Add($"from source {Get(band, "source") ?? "0"} band {Get(band, "sourceBand") ?? "?"}");
        if (Get(band, "resampling") is { } resampling)
        {
            parts.Add(resampling);
        }

        string scale = Get(band, "scale") ?? "1";
        string offset = Get(band, "offset") ?? "0";
        if (scale != "1" || offset != "0")
        {
            parts.Add($"× {scale} + {offset}");
        }

        if (band.TryGetProperty("labelMap", out JsonElement map) && map.ValueKind == JsonValueKind.Object)
        {
            parts.Add("label map " + string.Join(",", map.EnumerateObject().Select(e => $"{e.Name}={Text(e.Value)}")));
        }

        return ["band " + (Get(band, "name") ?? "?"), string.Join(", ", parts)];
    }

    private static string? Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? Text(value) : null;

    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Number => value.TryGetInt64(out long whole) ? whole.ToString(CultureInfo.InvariantCulture) : value.GetDouble().ToString("G", CultureInfo.InvariantCulture),
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(Text)),
        _ => value.GetRawText(),
    };
}
