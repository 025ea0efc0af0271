using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Disco.Geo.Server.Tests.Stac;

/// <summary>
/// Validates STAC Items against the vendored schemas (Stac/Schemas, see its README): the core Item schema and the
/// schema of every extension the Item declares. An extension without a vendored schema fails the check, so a new
/// extension cannot slip in unvalidated.
/// </summary>
internal static class StacSchemas
{
    private static readonly Dictionary<string, string> ExtensionFiles = new(StringComparer.Ordinal)
    {
        ["https://stac-extensions.github.io/projection/v1.1.0/schema.json"] = "projection-v1.1.0.json",
        ["https://stac-extensions.github.io/raster/v1.1.0/schema.json"] = "raster-v1.1.0.json",
        ["https://stac-extensions.github.io/classification/v1.1.0/schema.json"] = "classification-v1.1.0.json",
        ["https://stac-extensions.github.io/file/v2.1.0/schema.json"] = "file-v2.1.0.json",
    };

    private static readonly Lazy<Dictionary<string, JsonSchema>> Schemas = new(() =>
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Stac", "Schemas");
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return new[] { "item-1.0.0.json" }.Concat(ExtensionFiles.Values)
            .ToDictionary(file => file, file => JsonSchema.FromText(File.ReadAllText(Path.Combine(folder, file)), options));
    });

    /// <summary>Fails with the schema's errors unless <paramref name="item"/> is a valid Item with every declared extension valid.</summary>
    public static void AssertValidItem(JsonNode item)
    {
        List<string> files = ["item-1.0.0.json"];
        foreach (string extension in item["stac_extensions"]!.AsArray().Select(e => e!.GetValue<string>()))
        {
            Assert.True(ExtensionFiles.TryGetValue(extension, out string? file), $"No vendored schema for the declared extension {extension}.");
            files.Add(file!);
        }

        using JsonDocument document = JsonDocument.Parse(item.ToJsonString());
        foreach (string file in files)
        {
            EvaluationResults results = Schemas.Value[file].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.True(results.IsValid, $"Item {item["id"]} is not valid against {file}: " + string.Join("; ",
                (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => $"{d.InstanceLocation} {string.Join(", ", d.Errors!.Values)}")));
        }
    }

    /// <summary>Validates and returns the verdict, for the tests that prove the schemas reject what they should.</summary>
    public static bool IsValid(JsonNode item, string file)
    {
        using JsonDocument document = JsonDocument.Parse(item.ToJsonString());
        return Schemas.Value[file].Evaluate(document.RootElement, new EvaluationOptions { RequireFormatValidation = true }).IsValid;
    }
}
