using System.Text.Json;
using Disco.Geo.Engine;
using Disco.Geo.Grids;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Storage.Records;

namespace Disco.Geo.Server.Jobs.Handlers;

/// <summary>
/// Engine types to stored records and back: what the jobs read from the catalog and write into it. The wire API has
/// its own mapping (Api/Mapping); the two schemas agree today but may part.
/// </summary>
internal static class EngineRecords
{
    /// <summary>A stored model as the engines see it: its package in the blob store, keyed by its SHA-256.</summary>
    public static StoredModel ToStoredModel(ModelRecord model, IBlobStore blobs) => new(model.Id, model.Name, blobs.PathOf(model.Blob.Sha256), model.Blob.Sha256);

    public static GridKind? ToLibrary(GridRecordKind kind) => kind switch
    {
        GridRecordKind.Equiangular => GridKind.Equiangular,
        GridRecordKind.LegendreGauss => GridKind.LegendreGauss,
        GridRecordKind.Lobatto => GridKind.Lobatto,
        GridRecordKind.EquiangularTrapezoidal => GridKind.EquiangularTrapezoidal,
        GridRecordKind.Equirectangular => GridKind.Equirectangular,
        _ => null,
    };

    public static GridRecordKind ToRecord(GridKind kind) => kind switch
    {
        GridKind.Equiangular => GridRecordKind.Equiangular,
        GridKind.LegendreGauss => GridRecordKind.LegendreGauss,
        GridKind.Lobatto => GridRecordKind.Lobatto,
        GridKind.EquiangularTrapezoidal => GridRecordKind.EquiangularTrapezoidal,
        _ => GridRecordKind.Equirectangular,
    };

    /// <exception cref="EngineInputException">The grid cannot be built.</exception>
    public static SphereGrid ToSphereGrid(GridRecord grid)
    {
        GridKind kind = ToLibrary(grid.Kind)
            ?? throw new EngineInputException($"Grid kind {grid.Kind} is not supported; use {string.Join(", ", GridKindNames.All)}.");
        try
        {
            return SphereGrid.Create(kind, grid.Nlat, grid.Nlon, grid.LonOriginDegrees);
        }
        catch (ArgumentException e)
        {
            throw new EngineInputException($"The grid {kind.ToName()} {grid.Nlat}x{grid.Nlon} cannot be built: {e.Message}");
        }
    }

    public static GridRecord ToRecord(SphereGrid grid) => new()
    {
        Kind = ToRecord(grid.Kind),
        Nlat = grid.NLat,
        Nlon = grid.NLon,
        LonOriginDegrees = grid.LonOriginDegrees,
    };

    public static DatasetBand ToEngine(BandRecord band) =>
        new(band.Name, ToLibrary(band.Role) ?? Raster.BandRole.Input, ToLibrary(band.Resampling), band.SourceBand, band.Description);

    public static IReadOnlyList<DatasetBand> ToEngine(IEnumerable<BandRecord> bands) => [.. bands.Select(ToEngine)];

    public static BandRecord ToRecord(DatasetBand band) => new()
    {
        Name = band.Name,
        Role = band.Role switch
        {
            Raster.BandRole.Input => BandRecordRole.Input,
            Raster.BandRole.Label => BandRecordRole.Label,
            Raster.BandRole.Mask => BandRecordRole.Mask,
            _ => BandRecordRole.Unspecified,
        },
        SourceBand = band.SourceBand,
        Resampling = band.Resampling switch
        {
            Raster.Resampling.Nearest => BandRecordResampling.Nearest,
            Raster.Resampling.Bilinear => BandRecordResampling.Bilinear,
            Raster.Resampling.Cubic => BandRecordResampling.Cubic,
            Raster.Resampling.Average => BandRecordResampling.Average,
            Raster.Resampling.Mode => BandRecordResampling.Mode,
            _ => BandRecordResampling.Unspecified,
        },
        Description = band.Description,
    };

    public static PredictionSummaryRecord ToRecord(MapSummary summary)
    {
        var record = new PredictionSummaryRecord { Seconds = summary.Seconds };
        record.ClassAreas.Add(summary.ClassAreas.Select(a => new ClassAreaRecord { ClassId = a.Class.Id, ClassName = a.Class.Name, AreaKm2 = a.AreaKm2, Fraction = a.Fraction }));
        record.Statistics.Add(summary.Statistics.Select(s => new BandStatisticsRecord { Band = s.Band, Mean = s.Mean, Stddev = s.Stddev, Min = s.Min, Max = s.Max }));
        record.Metrics.Add(summary.Metrics.ToDictionary());
        return record;
    }

    /// <summary>
    /// Fills a model's searchable fields from its package's card (the card stays whole in card_json): the card's optional
    /// "architecture", "task", "grid" {kind, nlat, nlon, lon_origin_degrees}, "classes" [{id, name, color}] and
    /// "metrics" {name: number}; unknown or malformed fields are skipped. The one reader of card fields: imported and
    /// trained models both go through it, and the wire model is mapped from the record.
    /// </summary>
    public static void ApplyCard(ModelRecord model, ModelCardJson card)
    {
        model.CardJson = card.Json;
        model.FormatVersion = card.FormatVersion;
        using JsonDocument document = JsonDocument.Parse(card.Json);
        JsonElement root = document.RootElement;
        model.Architecture = String(root, "architecture");
        model.Task = String(root, "task");
        if (root.TryGetProperty("grid", out JsonElement grid) && grid.ValueKind == JsonValueKind.Object)
        {
            model.Grid = new GridRecord
            {
                Kind = GridKindNames.TryParse(String(grid, "kind"), out GridKind kind) ? ToRecord(kind) : GridRecordKind.Unspecified,
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
                // A class is a bare name (its id is its position) or an object with id, name and color.
                model.Classes.Add(item.ValueKind == JsonValueKind.String
                    ? new ModelClassRecord { Id = index, Name = item.GetString() ?? "" }
                    : new ModelClassRecord { Id = item.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.Number ? id.GetInt32() : index, Name = String(item, "name"), Color = String(item, "color") });
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

    private static Raster.Resampling? ToLibrary(BandRecordResampling resampling) => resampling switch
    {
        BandRecordResampling.Nearest => Raster.Resampling.Nearest,
        BandRecordResampling.Bilinear => Raster.Resampling.Bilinear,
        BandRecordResampling.Cubic => Raster.Resampling.Cubic,
        BandRecordResampling.Average => Raster.Resampling.Average,
        BandRecordResampling.Mode => Raster.Resampling.Mode,
        _ => null,
    };

    private static Raster.BandRole? ToLibrary(BandRecordRole role) => role switch
    {
        BandRecordRole.Input => Raster.BandRole.Input,
        BandRecordRole.Label => Raster.BandRole.Label,
        BandRecordRole.Mask => Raster.BandRole.Mask,
        _ => null,
    };

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
