using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// A CF-NetCDF file with several variables ingests the variable the request names: through the variable field of an
/// upload, and through a server path written as GDAL names a variable (NETCDF:"file":var). An unknown variable is
/// refused at the RPC, listing the file's variables and no server path; a connection string cannot reach outside the
/// import roots.
/// </summary>
public sealed class NetCdfVariableTests() : ServerTests("netcdf-variables", importRoot: true)
{
    private static readonly Grid Grid = TinyTraining.Grid17;

    [Fact]
    public async Task An_uploaded_netcdf_with_two_variables_ingests_the_variable_named_in_the_request()
    {
        string netcdf = NetCdfFiles.WriteVariables(Path.Combine(_files, "ocean.nc"), 16, 32, "temperature", "salinity");
        string upload = (await _client.UploadFileAsync(netcdf)).Dataset.Id;

        GriddedValues salinity = await IngestAsync(new IngestDatasetRequest { Name = "salinity", Grid = Grid, DatasetId = upload, Variable = "salinity" });
        Assert.Equal("salinity", Assert.Single(salinity.Dataset.Bands).Name);
        AssertValuesIn(salinity, 1000, 1000 + (16 * 32));
        Assert.Contains("\"variable\":\"salinity\"", salinity.Dataset.ProvenanceJson.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);

        GriddedValues temperature = await IngestAsync(new IngestDatasetRequest { Name = "temperature", Grid = Grid, DatasetId = upload, Variable = "/temperature" });
        Assert.Equal("temperature", Assert.Single(temperature.Dataset.Bands).Name);
        AssertValuesIn(temperature, 0, 16 * 32);
    }

    [Fact]
    public async Task A_server_path_written_as_a_gdal_subdataset_names_the_variable()
    {
        string netcdf = NetCdfFiles.WriteVariables(Path.Combine(_root, "ocean.nc"), 16, 32, "temperature", "salinity");
        GriddedValues salinity = await IngestAsync(new IngestDatasetRequest
        {
            Name = "salinity-path",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = $"NETCDF:\"{netcdf}\":salinity" },
        });
        AssertValuesIn(salinity, 1000, 1000 + (16 * 32));

        // Naming the same variable in both places is fine; naming two different ones is refused on both fields.
        GriddedValues again = await IngestAsync(new IngestDatasetRequest
        {
            Name = "salinity-both",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = $"NETCDF:\"{netcdf}\":salinity" },
            Variable = "salinity",
        });
        AssertValuesIn(again, 1000, 1000 + (16 * 32));
        DiscoException both = await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "disagree",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = $"NETCDF:\"{netcdf}\":salinity" },
            Variable = "temperature",
        }));
        Assert.Contains(both.FieldViolations, v => v.Field == "variable");
        Assert.Contains(both.FieldViolations, v => v.Field == "server_path.path");
    }

    [Fact]
    public async Task An_unknown_variable_is_refused_at_the_rpc_listing_the_variables_and_no_server_path()
    {
        string netcdf = NetCdfFiles.WriteVariables(Path.Combine(_files, "ocean.nc"), 16, 32, "temperature", "salinity");
        string upload = (await _client.UploadFileAsync(netcdf)).Dataset.Id;
        int jobs = await CountJobsAsync();

        DiscoException unknown = await Expect.StatusAsync(StatusCode.InvalidArgument,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "x", Grid = Grid, DatasetId = upload, Variable = "pressure" }));
        var violation = Assert.Single(unknown.FieldViolations, v => v.Field == "variable");
        Assert.Contains("temperature, salinity", violation.Description, StringComparison.Ordinal);
        Assert.Contains("'ocean.nc'", violation.Description, StringComparison.Ordinal);

        // Without a variable the file is refused too, naming its variables but not the blob that holds it (GDAL's
        // subdataset names carry the stored path; the old message quoted one of them).
        DiscoException none = await Expect.StatusAsync(StatusCode.InvalidArgument,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "x", Grid = Grid, DatasetId = upload }));
        Assert.Contains("temperature, salinity", none.Message, StringComparison.Ordinal);
        Assert.Contains("--variable", none.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NETCDF:", none.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.DirectorySeparatorChar + "blobs", none.Message, StringComparison.Ordinal);

        // Spelling, and a variable where none can be chosen, are refused on their fields before any file is opened.
        await Expect.StatusAsync(StatusCode.InvalidArgument,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "x", Grid = Grid, DatasetId = upload, Variable = "sal\"inity" }));
        await Expect.StatusAsync(StatusCode.InvalidArgument, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "x",
            Grid = Grid,
            Tiles = new TileListSource { Paths = { netcdf } },
            Variable = "salinity",
        }));
        DiscoException predict = await Expect.StatusAsync(StatusCode.InvalidArgument, async () =>
        {
            await foreach (PredictResponse _ in _client.PredictAsync(new PredictRequest { Model = "m", Raster = new RasterSource { DatasetId = upload, Variable = "salinity" } }))
            {
            }
        });
        Assert.Contains(predict.FieldViolations, v => v.Field == "raster.variable");

        // A GeoTIFF has no variables to choose from.
        string tif = TinyTraining.WriteLabelledGeoTiff(Path.Combine(_files, "plain.tif"), 64, 32);
        string tifUpload = (await _client.UploadFileAsync(tif)).Dataset.Id;
        DiscoException plain = await Expect.StatusAsync(StatusCode.InvalidArgument,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "x", Grid = Grid, DatasetId = tifUpload, Variable = "salinity" }));
        Assert.Contains(plain.FieldViolations, v => v.Field == "variable");
        Assert.Equal(jobs, await CountJobsAsync());
    }

    [Fact]
    public async Task A_subdataset_connection_string_cannot_reach_a_file_outside_the_import_roots()
    {
        string outside = NetCdfFiles.WriteVariables(Path.Combine(_files, "secret.nc"), 16, 32, "temperature", "salinity");
        // The file inside the connection string is resolved like any server path.
        DiscoException refused = await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "x",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = $"NETCDF:\"{outside}\":salinity" },
        }));
        Assert.Contains("server_path.path", refused.Message, StringComparison.Ordinal);

        // A link inside a root that points outside is refused too.
        string link = Path.Combine(_root, "link.nc");
        File.CreateSymbolicLink(link, outside);
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "y",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = $"NETCDF:\"{link}\":salinity" },
        }));
    }

    [Fact]
    public async Task An_uploaded_netcdf4_file_keeps_its_extension_so_the_netcdf_driver_reads_its_cf_georeferencing()
    {
        // 72x72 pixels over the globe: not 2:1, so without its CF coordinates (the HDF5 driver, which GDAL picks for a
        // netCDF-4 file that does not end in .nc, ignores them) the file would be refused as an ungeoreferenced image.
        string tif = GlobalGeoTiff.Write(Path.Combine(_files, "lat.tif"), 72, 72, [(lat, lon) => lat]);
        string netcdf = Path.Combine(_files, "lat.nc");
        using (GdalDataset source = GdalDataset.Open(tif))
        using (GdalDataset written = source.CreateCopy("netCDF", netcdf, new Dictionary<string, string> { ["FORMAT"] = "NC4" }))
        {
        }

        string upload = (await _client.UploadFileAsync(netcdf)).Dataset.Id;
        GriddedValues values = await IngestAsync(new IngestDatasetRequest { Name = "lat-grid", Grid = Grid, DatasetId = upload });
        for (int row = 0; row < values.NLat; row++)
        {
            // Northern rows hold positive latitudes: georeferenced and the right way up.
            Assert.InRange(values[0, row, 0], values.Latitudes[row] - 3, values.Latitudes[row] + 3);
        }
    }

    private async Task<GriddedValues> IngestAsync(IngestDatasetRequest request)
    {
        Job done = await _client.WaitForJobAsync((await _client.IngestDatasetAsync(request)).Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
        return await GriddedValues.DownloadAsync(_client, done.Result.DatasetId);
    }

    private static void AssertValuesIn(GriddedValues values, float low, float high)
    {
        int checkedNodes = 0;
        for (int row = 0; row < values.NLat; row++)
        {
            for (int column = 0; column < values.NLon; column++)
            {
                if (values.Valid(row, column))
                {
                    Assert.InRange(values[0, row, column], low, high);
                    checkedNodes++;
                }
            }
        }

        Assert.True(checkedNodes > 0, "no valid node");
    }

    private async Task<int> CountJobsAsync()
    {
        int count = 0;
        await foreach (Job _ in _client.ListJobsAsync())
        {
            count++;
        }

        return count;
    }
}
