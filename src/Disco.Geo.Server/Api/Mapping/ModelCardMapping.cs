using System.Text.Json;
using Disco.Geo.Engine;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Api.Mapping;

/// <summary>
/// A model card (the JSON of a package, read and validated by Disco.Geo.Sphere's ModelPackage) into the model record:
/// the card's optional fields "name", "architecture", "task", "grid" {kind, nlat, nlon, lon_origin_degrees},
/// "classes" [{id, name, color}] and "metrics" {name: number} are shown in listings.
/// </summary>
internal static class ModelCardMapping
{
    /// <summary>Copies the card's well-known fields into the model record; unknown or malformed fields are skipped.</summary>
    public static void ApplyCard(Model model, ModelCardJson card)
    {
        model.CardJson = card.Json;
        model.FormatVersion = card.FormatVersion;
        using JsonDocument document = JsonDocument.Parse(card.Json);
        JsonElement root = document.RootElement;
        model.Architecture = String(root, "architecture");
        model.Task = String(root, "task");
        if (root.TryGetProperty("grid", out JsonElement grid) && grid.ValueKind == JsonValueKind.Object)
        {
            model.Grid = new Grid
            {
                Kind = GridKindNames.TryParse(String(grid, "kind"), out Grids.GridKind kind) ? GridMapping.ToApi(kind) : Protos.V1.GridKind.Unspecified,
                Nlat = Int(grid, "nlat"),
                Nlon = Int(grid, "nlon"),
                LonOriginDegrees = grid.TryGetProperty("lon_origin_degrees", out JsonElement origin) && origin.ValueKind == JsonValueKind.Number ? origin.GetDouble() : 0,
            };
        }

        if (root.TryGetProperty("classes", out JsonElement classes) && classes.ValueKind == JsonValueKind.Array)
        {
            int index = 0;
            foreach (JsonElement item in classes.EnumerateArray())
            {
                model.Classes.Add(item.ValueKind == JsonValueKind.String
                    ? new ModelClass { Id = index, Name = item.GetString() ?? "" }
                    : new ModelClass { Id = item.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.Number ? id.GetInt32() : index, Name = String(item, "name"), Color = String(item, "color") });
                index++;
            }
        }

        if (root.TryGetProperty("metrics", out JsonElement metrics) && metrics.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty metric in metrics.EnumerateObject())
            {
                if (metric.Value.ValueKind == JsonValueKind.Number)
                {
                    model.Metrics[metric.Name] = metric.Value.GetDouble();
                }
            }
        }
    }

    /// <summary>The card's "name", or null.</summary>
    public static string? CardName(ModelCardJson card)
    {
        using JsonDocument document = JsonDocument.Parse(card.Json);
        string name = String(document.RootElement, "name");
        return name.Length == 0 ? null : name;
    }

    private static string String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    private static int Int(JsonElement element, string property) =>
        element.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result) ? result : 0;
}
