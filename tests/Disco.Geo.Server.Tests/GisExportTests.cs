using System.Globalization;
using Disco.Geo.Client;
using Disco.Geo.Gdal;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// GIS files as a user gets them from a real server: ingested datasets saved as COGs (client and `disco datasets
/// download`), prediction COGs with their class names, and the server's XYZ tiles against the COG. Files are read back
/// with GDAL.
/// </summary>
public sealed class GisExportTests() : ServerTests("gis-export")
{

    [Fact]
    public async Task Datasets_download_saves_a_gridded_dataset_as_a_multi_band_cog_with_one_pixel_per_node()
    {
        var grid = new Grid { Kind = GridKind.Equiangular, Nlat = 91, Nlon = 180 };
        int nodes = 91 * 180;
        float[] values = new float[2 * nodes];
        for (int k = 0; k < nodes; k++)
        {
            values[k] = k * 0.25f;
            values[nodes + k] = (k / 180) % 3;
        }

        await GriddedDatasets.StoreAsync(_server, "terrain", grid, values, described:
            [new Band { Name = "elevation", Role = BandRole.Input }, new Band { Name = "landcover", Role = BandRole.Label }]);
        string output = Path.Combine(_files, "terrain.tif");
        CliResult result = await CliRunner.RunAsync(_server, "datasets", "download", "terrain", output);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.False(File.Exists(output + ".part"));

        using GdalDataset cog = GdalDataset.Open(output);
        Assert.Equal("COG", cog.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"));
        Assert.Equal((180, 91, 2), (cog.Width, cog.Height, cog.BandCount));
        // Node-centred cells: the first row's centre is the north pole, the first column's centre is column 0's longitude.
        Assert.Equal(GeoTransform.NorthUp(-1, 91, 2, 2), cog.GetGeoTransform()); // the grid's column 0 is at 0°
        Assert.Equal(["elevation", "landcover"], new[] { cog.GetBand(1).Description, cog.GetBand(2).Description });
        for (int b = 0; b < 2; b++)
        {
            float[] pixels = new float[nodes];
            cog.GetBand(b + 1).Read<float>(pixels, 0, 0, 180, 91);
            Assert.Equal(values.AsSpan(b * nodes, nodes).ToArray(), pixels);
        }

        // The label band's classes come with the file (GDAL's sidecar, which QGIS reads for the legend).
        Assert.Equal(["class 0", "class 1", "class 2"], cog.GetBand(2).GetCategoryNames().Take(3));
        Assert.Equal(3, cog.GetBand(2).GetAttributeTable()?.Rows.Count);
    }

    [Fact]
    public async Task A_failed_download_or_export_throws_DiscoException_and_leaves_no_part_file()
    {
        string output = Path.Combine(_files, "missing.tif");
        DiscoException missing = await Assert.ThrowsAsync<DiscoException>(() => _client.SaveDatasetAsync("no-such-dataset", output));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.ExportDatasetAsync("no-such-dataset", output));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_files));

        // A raw dataset has no grid to export; a gridded one is no raw file to copy byte for byte.
        string raw = Temp.File(_files, "raw.bin", 10_000, seed: 3);
        await _client.UploadFileAsync(raw, "raw");
        await GriddedDatasets.StoreFieldAsync(_server, "field", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 });
        DiscoException notGridded = await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.ExportDatasetAsync("raw", output));
        Assert.Contains("raw file", notGridded.Message, StringComparison.Ordinal);
        using (var sink = new MemoryStream())
        {
            await Expect.StatusAsync(StatusCode.FailedPrecondition, () => _client.DownloadDatasetAsync("field", sink));
        }

        Assert.False(File.Exists(output) || File.Exists(output + ".part"));

        CliResult cli = await CliRunner.RunAsync(_server, "datasets", "download", "no-such-dataset", output);
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("no-such-dataset", cli.Error + cli.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(output + ".part"));

        // Raw datasets still download byte for byte.
        string copy = Path.Combine(_files, "raw-copy.bin");
        CliResult saved = await CliRunner.RunAsync(_server, "datasets", "download", "raw", copy);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        Assert.Equal(File.ReadAllBytes(raw), File.ReadAllBytes(copy));
    }

    [Fact]
    public async Task Xyz_tiles_and_the_cog_agree_on_the_class_of_nearly_every_pixel_and_the_cog_names_the_classes()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "lw.discomodel", seed: 5));
        // Centred on 0, the field drives this untrained network to both classes.
        await GriddedDatasets.StoreFieldAsync(_server, "field", model.Grid, offset: -10);
        PredictionArray map = await _client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field" });
        string cogPath = Path.Combine(_files, "prediction.tif");
        FileMetadata exported = await _client.ExportPredictionAsync(map.Prediction.Id, ExportFormat.Cog, cogPath);
        Assert.NotEmpty(exported.AuxXml);

        using GdalDataset cog = GdalDataset.Open(cogPath);
        GdalBand band = cog.GetBand(1);
        Assert.Equal(model.Classes.Select(c => c.Name), band.GetCategoryNames().Take(model.Classes.Count));
        Assert.Equal(model.Classes.Select(c => c.Name), band.GetAttributeTable()!.Rows.Select(r => r[1]));
        byte[] classes = new byte[cog.Width * cog.Height];
        band.Read<byte>(classes, 0, 0, cog.Width, cog.Height);
        Assert.Equal((model.Grid.Nlon, model.Grid.Nlat), (cog.Width, cog.Height));
        GeoTransform transform = cog.GetGeoTransform()!.Value;
        var colours = model.Classes.ToDictionary(c => c.Id, c => Rgb(c.Color));

        // WorldCRS84Quad zoom 1: 4 x 2 tiles of 256 pixels, 90° each, cover the globe.
        const int Size = 256;
        int agree = 0, total = 0;
        for (int tileIndex = 0; tileIndex < 8; tileIndex++)
        {
            int x = tileIndex % 4, y = tileIndex / 4;
            using HttpResponseMessage response = await _server.HttpGetAsync($"/tiles/{map.Prediction.Id}/WorldCRS84Quad/1/{x}/{y}.png");
            response.EnsureSuccessStatusCode();
            string tilePath = Path.Combine(_files, $"tile-{x}-{y}.png");
            await File.WriteAllBytesAsync(tilePath, await response.Content.ReadAsByteArrayAsync());
            using GdalDataset tile = GdalDataset.Open(tilePath);
            byte[][] rgba = Enumerable.Range(1, 4).Select(b =>
            {
                byte[] pixels = new byte[Size * Size];
                tile.GetBand(b).Read<byte>(pixels, 0, 0, Size, Size);
                return pixels;
            }).ToArray();
            for (int row = 0; row < Size; row++)
            {
                double lat = 90 - (y * 90) - ((row + 0.5) * 90.0 / Size);
                for (int column = 0; column < Size; column++)
                {
                    double lon = -180 + (x * 90) + ((column + 0.5) * 90.0 / Size);
                    // The COG pixel containing the tile pixel's centre (columns wrap around the globe).
                    int cogColumn = (int)Math.Floor((lon - transform.OriginX) / transform.PixelWidth);
                    cogColumn = ((cogColumn % cog.Width) + cog.Width) % cog.Width;
                    int cogRow = Math.Clamp((int)Math.Floor((transform.OriginY - lat) / -transform.PixelHeight), 0, cog.Height - 1);
                    (byte red, byte green, byte blue) = colours[classes[(cogRow * cog.Width) + cogColumn]];
                    int i = (row * Size) + column;
                    total++;
                    agree += (red, green, blue, (byte)255) == (rgba[0][i], rgba[1][i], rgba[2][i], rgba[3][i]) ? 1 : 0;
                }
            }
        }

        double share = (double)agree / total;
        Assert.True(share >= 0.999, string.Create(CultureInfo.InvariantCulture, $"tiles and COG agree on {share:P2} of {total} pixels"));
        Assert.Equal(2, classes.Distinct().Count());
    }

    private static (byte Red, byte Green, byte Blue) Rgb(string hex) => (
        byte.Parse(hex.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
        byte.Parse(hex.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
