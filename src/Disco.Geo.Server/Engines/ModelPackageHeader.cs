using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Server.Engines;

/// <summary>
/// The server's default <see cref="IModelCardReader"/>: reads the documented header at the start of every model package.
/// <code>
/// bytes 0..7    ASCII "DISCOMDL"
/// bytes 8..11   uint32 little-endian format version (1 or higher)
/// bytes 12..15  uint32 little-endian card length L (1 byte .. 1 MiB)
/// bytes 16..    L bytes of UTF-8 JSON: the model card (an object)
/// then          the engine's payload (weights), opaque to the server
/// </code>
/// The card's optional fields "name", "architecture", "task", "grid" {kind, nlat, nlon, lon_origin_degrees},
/// "classes" [{id, name, color}] and "metrics" {name: number} are shown in listings.
/// </summary>
internal sealed class ModelPackageHeader : IModelCardReader
{
    public const string Magic = "DISCOMDL";
    public const int MaxCardBytes = 1 << 20;

    public async Task<ModelCard> ReadAsync(string packagePath, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(packagePath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
        byte[] prefix = new byte[16];
        int read = await stream.ReadAtLeastAsync(prefix, 16, throwOnEndOfStream: false, cancellationToken);
        if (read < 16 || Encoding.ASCII.GetString(prefix, 0, 8) != Magic)
        {
            throw new EngineInputException("This file is not a Disco model package: it does not start with the DISCOMDL header. Export models with `disco models export`.");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(8));
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(12));
        if (version == 0)
        {
            throw new EngineInputException("The model package has format version 0, which does not exist; the file is corrupt.");
        }

        if (length is 0 or > MaxCardBytes)
        {
            throw new EngineInputException($"The model package's card length is {length} bytes; it must be between 1 and {MaxCardBytes}. The file is corrupt.");
        }

        byte[] card = new byte[length];
        if (await stream.ReadAtLeastAsync(card, (int)length, throwOnEndOfStream: false, cancellationToken) < length)
        {
            throw new EngineInputException("The model package ends inside its card; the file is truncated.");
        }

        string json = Encoding.UTF8.GetString(card);
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new EngineInputException("The model card must be a JSON object.");
            }
        }
        catch (JsonException e)
        {
            throw new EngineInputException($"The model card is not valid JSON: {e.Message}");
        }

        return new ModelCard((int)version, json);
    }

    /// <summary>Writes a package header and card; used by tests and tools that build packages.</summary>
    public static byte[] Encode(int formatVersion, string cardJson)
    {
        byte[] card = Encoding.UTF8.GetBytes(cardJson);
        byte[] header = new byte[16 + card.Length];
        Encoding.ASCII.GetBytes(Magic, header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)formatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)card.Length);
        card.CopyTo(header, 16);
        return header;
    }

    /// <summary>Copies the card's well-known fields into the model record; unknown or malformed fields are skipped.</summary>
    public static void ApplyCard(Model model, ModelCard card)
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
                Kind = GridKinds.Parse(String(grid, "kind")),
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
    public static string? CardName(ModelCard card)
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

/// <summary>Grid kind names as used in cards, the CLI and torch-harmonics.</summary>
internal static class GridKinds
{
    public static GridKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "equiangular" => GridKind.Equiangular,
        "legendre-gauss" or "gauss" or "gauss-legendre" => GridKind.LegendreGauss,
        "lobatto" => GridKind.Lobatto,
        "equiangular-trapezoidal" or "trapezoidal" => GridKind.EquiangularTrapezoidal,
        "equirectangular" => GridKind.Equirectangular,
        _ => GridKind.Unspecified,
    };
}
