using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Tests.Support;

namespace Disco.Geo.Raster.Tests.Gdal;

/// <summary>
/// The source sandbox with real GDAL and real files: formats that name other files (ISIS3 ^Core, PDS4 File_Area, a
/// GeoTIFF's .aux.xml overview file, a symbolic link) are refused when those files lie outside, as an upload (one file)
/// and under an allowed directory; multi-file formats inside (ENVI, Shapefile) open; the readers of this library go
/// through the sandbox before reading a pixel. Each refused case first shows that plain GDAL does read the outside file.
/// </summary>
public sealed class SourceSandboxTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _root;
    private readonly string _secret;

    public SourceSandboxTests()
    {
        _root = Directory.CreateDirectory(_temp.File("root")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        _secret = ReferencingFiles.WriteSecret(_temp.File("secret.bin"));
    }

    public void Dispose() => _temp.Dispose();

    private SourceSandbox Root => SourceSandbox.Directories([_root], boundary: "the root");

    [Fact]
    public void An_isis3_label_whose_core_is_outside_is_refused_as_an_upload_and_under_a_root()
    {
        string relative = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "sub", "relative.lbl"), "../../secret.bin");
        string anywhere = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "sub", "anywhere.lbl"), ReferencingFiles.FromAnywhere(_secret));
        foreach (string label in new[] { relative, anywhere })
        {
            AssertPlainGdalReads(label, _secret);
            AssertRefused(() => SourceSandbox.SingleFile(label).Open(label), "secret.bin");
            AssertRefused(() => Root.Open(label), "secret.bin");
        }

        // Inside the root the same label is fine: the rule is where the files are, not what the format is.
        File.Copy(_secret, Path.Combine(_root, "core.bin"));
        string inside = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "sub", "inside.lbl"), "../core.bin");
        using GdalDataset dataset = Root.Open(inside);
        Assert.Equal((64, 32), (dataset.Width, dataset.Height));
    }

    [Fact]
    public void A_pds4_label_whose_file_area_is_outside_is_refused()
    {
        string label = ReferencingFiles.WritePds4Label(Path.Combine(_root, "sub", "product.xml"), "../../secret.bin");
        AssertPlainGdalReads(label, _secret);
        AssertRefused(() => SourceSandbox.SingleFile(label).Open(label), "secret.bin");
        AssertRefused(() => Root.Open(label), "secret.bin");
    }

    [Fact]
    public void A_geotiff_whose_aux_xml_names_overviews_outside_is_refused_under_a_root_and_an_upload_ignores_its_aux_xml()
    {
        string outside = GlobalGeoTiff.Write(_temp.File("outside-overview.tif"), 32, 16, [(lat, lon) => lon]);
        string tif = ReferencingFiles.WriteGeoTiffWithOverviewFile(Path.Combine(_root, "with-overview.tif"), outside);
        using (GdalDataset plain = GdalDataset.Open(tif))
        {
            Assert.Equal(1, plain.GetBand(1).OverviewCount);
            Assert.Contains(plain.GetFileList(), f => SourceSandbox.RealPath(f) == SourceSandbox.RealPath(outside));
        }

        AssertRefused(() => Root.Open(tif), "outside-overview.tif");

        // One file on its own (an upload) has no sidecars: GDAL neither looks for the .aux.xml nor for overviews.
        using GdalDataset isolated = SourceSandbox.SingleFile(tif).Open(tif);
        Assert.Equal([SourceSandbox.RealPath(tif)], isolated.GetFileList().Select(SourceSandbox.RealPath));
        Assert.Equal(0, isolated.GetBand(1).OverviewCount);
    }

    [Fact]
    public void A_symbolic_link_under_a_root_to_a_file_outside_is_refused_and_links_resolve_before_parent_steps()
    {
        string real = GlobalGeoTiff.Write(_temp.File("real.tif"), 8, 4, [(lat, lon) => lat]);
        string link = Path.Combine(_root, "link.tif");
        File.CreateSymbolicLink(link, real);
        AssertRefused(() => Root.Open(link), "link.tif");

        // root/dir → <temp>/elsewhere/deeper: root/dir/../x is <temp>/elsewhere/x, outside, as the kernel sees it.
        string deeper = Directory.CreateDirectory(_temp.File(Path.Combine("elsewhere", "deeper"))).FullName;
        Directory.CreateSymbolicLink(Path.Combine(_root, "dir"), deeper);
        Assert.Equal(_temp.File(Path.Combine("elsewhere", "x")), SourceSandbox.RealPath(Path.Combine(_root, "dir", "..", "x")));
        Assert.False(Root.Contains(Path.Combine(_root, "dir", "..", "x")));
        Assert.True(Root.Contains(Path.Combine(_root, "sub", "..", "x")));
    }

    [Fact]
    public void Hdf5_files_whose_data_the_hdf5_library_reads_from_other_files_are_refused_before_gdal_opens_them()
    {
        string secret = Hdf5Files.WritePlain(_temp.File("secret.h5"), 4242f);
        string raw = _temp.File("raw.bin");
        string link = Hdf5Files.WriteExternalLink(Path.Combine(_root, "link.h5"), secret);
        string userBlock = Hdf5Files.WriteExternalLink(Path.Combine(_root, "user-block.h5"), secret, userBlock: 1024);
        Assert.NotEqual(0x89, File.ReadAllBytes(userBlock)[0]);
        string external = Hdf5Files.WriteExternalStorage(Path.Combine(_root, "external.h5"), raw, 4343f);
        // A virtual dataset whose source cannot be opened silently reads as its fill value (0). Its source is named
        // relative to the virtual file ("../source.h5"): HDF5 1.10.8 sometimes skips an absolute source name without
        // trying it (strace: no open of the absolute path, only of "<virtual dir>/source.h5") and then reads the fill
        // value, so the plain-GDAL half of this case would fail at random. The absolute form is checked for refusal below.
        string source = Hdf5Files.WritePlain(_temp.File("source.h5"), 4444f);
        string virtualDataset = Hdf5Files.WriteVirtual(Path.Combine(_root, "virtual.h5"), Path.Combine("..", "source.h5"));
        string absoluteVirtual = Hdf5Files.WriteVirtual(Path.Combine(_root, "virtual-absolute.h5"), source);

        // How GDAL reaches each one's "data": the netCDF driver follows the external link (the HDF5 driver lists no
        // subdataset for it), behind a user block too (the signature at 1024), the HDF5 driver reads the external raw data and the virtual dataset's source.
        (string File, string Open, string Referenced, float Value)[] cases =
        [
            (link, $"NETCDF:\"{link}\":data", "secret.h5", 4242f),
            (userBlock, $"NETCDF:\"{userBlock}\":data", "secret.h5", 4242f),
            (external, $"HDF5:\"{external}\"://data", "raw.bin", 4343f),
            (virtualDataset, $"HDF5:\"{virtualDataset}\"://data", "source.h5", 4444f),
        ];
        foreach ((string file, string open, string referenced, float value) in cases)
        {
            // Without the walk, GDAL returns the other file's values and does not list that file.
            using (GdalDataset plain = GdalDataset.Open(open))
            {
                float[] values = new float[Hdf5Files.Width * Hdf5Files.Height];
                plain.GetBand(1).Read<float>(values, 0, 0, Hdf5Files.Width, Hdf5Files.Height);
                Assert.All(values, v => Assert.Equal(value, v));
                Assert.DoesNotContain(plain.GetFileList(), f => Path.GetFileName(f) == referenced);
            }

            AssertRefused(() => SourceSandbox.SingleFile(file).Open(file), referenced);
            AssertRefused(() => Root.Open(file), referenced);
        }

        AssertRefused(() => SourceSandbox.SingleFile(absoluteVirtual).Open(absoluteVirtual), "source.h5");
        AssertRefused(() => Root.Open(absoluteVirtual), "source.h5");

        // A self-contained HDF5 file opens, as an upload and under a root, with the drivers a server allows.
        string[] drivers = ["netCDF", "HDF5", "HDF5Image"];
        string self = Hdf5Files.WritePlain(Path.Combine(_root, "plain.h5"), 7f);
        using (GdalDataset dataset = SourceSandbox.SingleFile(self, drivers).Open(self))
        {
            Assert.Equal((Hdf5Files.Width, Hdf5Files.Height), (dataset.Width, dataset.Height));
        }

        using GdalDataset rooted = SourceSandbox.Directories([_root], drivers).Open(self);
        Assert.Equal(7f, ReadFirst(rooted));
    }

    [Fact]
    public void A_grib_file_whose_idx_sidecar_links_outside_is_refused_though_gdal_does_not_list_the_sidecar()
    {
        string grib = Path.Combine(_root, "sub", "forecast.grb2");
        using (GdalDataset tif = GdalDataset.Open(GlobalGeoTiff.Write(_temp.File("forecast.tif"), 8, 4, [(lat, lon) => lat])))
        using (GdalDataset written = tif.CreateCopy("GRIB", grib))
        {
            Assert.Equal("GRIB", written.DriverName);
        }

        // GDAL's GRIB driver opens "<file>.idx" by name (directory listing off too) and leaves it out of its file list.
        string index = grib + ".idx";
        File.CreateSymbolicLink(index, _secret);
        using (GdalDataset plain = GdalDataset.Open(grib))
        {
            Assert.DoesNotContain(plain.GetFileList(), f => f.EndsWith(".idx", StringComparison.Ordinal));
        }

        AssertRefused(() => Root.Open(grib), "forecast.grb2.idx");
        AssertRefused(() => SourceSandbox.SingleFile(grib).Open(grib), "forecast.grb2.idx");

        // An index that is a file inside the root is fine; without one the file opens as an upload too.
        File.Delete(index);
        File.WriteAllText(index, string.Empty);
        using (GdalDataset inside = Root.Open(grib))
        {
            Assert.Equal((8, 4), (inside.Width, inside.Height));
        }

        File.Delete(index);
        using GdalDataset upload = SourceSandbox.SingleFile(grib).Open(grib);
        Assert.Equal("GRIB", upload.DriverName);
    }

    [Fact]
    public void Multi_file_sources_inside_a_root_open_with_all_their_files()
    {
        string envi = ReferencingFiles.WriteEnvi(Path.Combine(_root, "sub", "grid.dat"), 16, 8);
        using (GdalDataset dataset = Root.Open(envi))
        {
            Assert.Equal("ENVI", dataset.DriverName);
            Assert.Contains(dataset.GetFileList(), f => f.EndsWith("grid.hdr", StringComparison.Ordinal));
        }

        string shapefile = ReferencingFiles.WriteShapefile(Path.Combine(_root, "sub", "box.shp"), (-10, -10, 10, 10, 3));
        using (GdalDataset dataset = Root.Open(shapefile, GdalOpenKind.Vector))
        {
            Assert.Equal(1, dataset.GetLayer(0).FeatureCount);
            Assert.Contains(dataset.GetFileList(), f => f.EndsWith("box.dbf", StringComparison.Ordinal));
        }

        // The same Shapefile is refused when the root does not hold it.
        AssertRefused(() => SourceSandbox.Directories([Path.Combine(_root, "other")]).Open(shapefile, GdalOpenKind.Vector), "box.shp");
    }

    [Fact]
    public async Task The_readers_of_this_library_refuse_a_sandboxed_source_before_reading_a_pixel()
    {
        SphereGrid grid = SphereGrid.Create(GridKind.Equiangular, 19, 36);
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "sub", "label.lbl"), "../../secret.bin");
        var ingestor = new RasterIngestor();

        // Without a sandbox (a trusted caller) the label is read: the secret's bytes become pixels.
        SphereRaster leaked = await ingestor.IngestAsync(RasterSource.GlobalImage(label), grid);
        Assert.Contains(leaked.Data, v => v != 0);

        await Assert.ThrowsAsync<SourceContainmentException>(() => ingestor.IngestAsync(RasterSource.GlobalImage(label) with { Sandbox = Root }, grid));
        await Assert.ThrowsAsync<SourceContainmentException>(() =>
            ingestor.IngestAsync(RasterSource.GlobalImage(label) with { Sandbox = SourceSandbox.SingleFile(label) }, grid));

        string tile = GlobalGeoTiff.Write(Path.Combine(_root, "tile.tif"), 16, 8, [(lat, lon) => lat]);
        await Assert.ThrowsAsync<SourceContainmentException>(() => ingestor.IngestAsync(RasterSource.Tiles([tile, label]) with { Sandbox = Root }, grid));
        SphereRaster mosaic = await ingestor.IngestAsync(RasterSource.Tiles([tile]) with { Sandbox = Root }, grid);
        Assert.Equal(grid.NodeCount, mosaic.Valid.Length);

        string shapefile = ReferencingFiles.WriteShapefile(_temp.File("outside.shp"), (-10, -10, 10, 10, 3));
        await Assert.ThrowsAsync<SourceContainmentException>(() =>
            new PolygonRasterizer().RasterizeAsync(shapefile, grid, new PolygonRasterizeOptions { Sandbox = Root }));
        Assert.Throws<SourceContainmentException>(() => RasterInspector.Inspect(label, Root));
    }

    [Fact]
    public void An_isolated_open_narrows_gdal_on_its_thread_only_while_it_runs()
    {
        string tif = GlobalGeoTiff.Write(Path.Combine(_root, "plain.tif"), 8, 4, [(lat, lon) => lat]);
        GdalRuntime.SetThreadConfigOption("GDAL_PAM_ENABLED", "YES");
        try
        {
            SourceSandbox sandbox = SourceSandbox.SingleFile(tif);
            using (sandbox.Enter())
            {
                Assert.Equal("NO", GdalRuntime.GetThreadConfigOption("GDAL_PAM_ENABLED"));
                Assert.Equal("EMPTY_DIR", GdalRuntime.GetThreadConfigOption("GDAL_DISABLE_READDIR_ON_OPEN"));
                Assert.Equal("NO", GdalRuntime.GetThreadConfigOption("GDAL_VRT_ENABLE_PYTHON"));
            }

            Assert.Equal("YES", GdalRuntime.GetThreadConfigOption("GDAL_PAM_ENABLED"));
            Assert.Null(GdalRuntime.GetThreadConfigOption("GDAL_DISABLE_READDIR_ON_OPEN"));
        }
        finally
        {
            GdalRuntime.SetThreadConfigOption("GDAL_PAM_ENABLED", null);
        }
    }

    private static float ReadFirst(GdalDataset dataset)
    {
        float[] value = new float[1];
        dataset.GetBand(1).Read<float>(value, 0, 0, 1, 1);
        return value[0];
    }

    /// <summary>The fixture is real: GDAL without a sandbox opens the file and lists the outside file among its files.</summary>
    private static void AssertPlainGdalReads(string path, string outside)
    {
        using GdalDataset plain = GdalDataset.Open(path);
        Assert.Contains(plain.GetFileList(), f => SourceSandbox.RealPath(f) == SourceSandbox.RealPath(outside));
    }

    private static void AssertRefused(Func<GdalDataset> open, string referencedName)
    {
        SourceContainmentException e = Assert.Throws<SourceContainmentException>(() => open().Dispose());
        Assert.Equal(referencedName, e.ReferencedName);
        Assert.Contains($"'{referencedName}'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/", e.Message, StringComparison.Ordinal);
    }
}
