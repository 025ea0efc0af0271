using Disco.Geo.Protos.V1;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs.Handlers;
using Disco.Geo.Server.Storage;
using Google.Protobuf.WellKnownTypes;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// Stores a gridded dataset the way an ingest job does (tensor file, blob store, catalog record), for tests that need
/// one before the ingest engine exists.
/// </summary>
internal static class GriddedDatasets
{
    /// <summary>One input band holding <see cref="AnalyticField.F"/> plus <paramref name="offset"/> at the grid's nodes (equiangular: both poles).</summary>
    public static Task<string> StoreFieldAsync(TestServer server, string name, Grid grid, double offset = 0)
    {
        float[] values = new float[grid.Nlat * grid.Nlon];
        for (int r = 0; r < grid.Nlat; r++)
        {
            for (int c = 0; c < grid.Nlon; c++)
            {
                values[(r * grid.Nlon) + c] = (float)(AnalyticField.F(90 - (180.0 * r / (grid.Nlat - 1)), grid.LonOriginDegrees + (360.0 * c / grid.Nlon)) + offset);
            }
        }

        return StoreAsync(server, name, grid, values);
    }

    /// <summary>
    /// Stores the values ([bands, rows, columns]); bands are inputs named b0, b1, … unless <paramref name="roles"/> gives
    /// their roles or <paramref name="described"/> describes them in full.
    /// </summary>
    public static async Task<string> StoreAsync(
        TestServer server, string name, Grid grid, float[] values, IReadOnlyList<BandRole>? roles = null, IReadOnlyList<Band>? described = null)
    {
        int bands = values.Length / (grid.Nlat * grid.Nlon);
        DataDirectory directory = server.Get<DataDirectory>();
        string temp = directory.NewTempPath(".tensor");
        using (TensorFile file = TensorFile.Create(temp, bands, grid.Nlat, grid.Nlon, hasMask: false))
        {
            file.WriteRows(0, grid.Nlat, values, default);
        }

        var dataset = new Dataset
        {
            Id = Ids.New(Ids.Dataset),
            Name = name,
            Kind = DatasetKind.Gridded,
            Grid = grid,
            Bands = { described ?? Enumerable.Range(0, bands).Select(b => new Band { Name = "b" + b, Role = roles?[b] ?? BandRole.Input }).ToList() },
            CreateTime = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        await StoredRecords.CommitDatasetAsync(server.Get<ICatalog>(), server.Get<IBlobStore>(), temp, dataset.ToRecord(), CancellationToken.None);
        return dataset.Id;
    }
}
