using Disco.Geo.Client;
using Disco.Geo.Engine;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Api.Mapping;
using Disco.Geo.Server.Jobs.Sources;
using Disco.Geo.Server.Security;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// No source reads a file it may not: a real server with an import root, real uploads through the typed client, labels
/// and sidecars that point outside (ISIS3 ^Core, PDS4 File_Area, a GeoTIFF's .aux.xml overview file, a tile of a
/// mosaic, an additional source). Each is refused with PERMISSION_DENIED at the RPC, before a job exists, with a message
/// that names the file by its name only; multi-file sources inside the root still ingest.
/// </summary>
public sealed class SourceSandboxTests() : ServerTests("sandbox", importRoot: true)
{
    private static readonly Grid Grid = new() { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36, LonOriginDegrees = -180 };
    private string _secret = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _secret = ReferencingFiles.WriteSecret(Path.Combine(_files, "secret.bin"));
    }

    [Fact]
    public async Task An_uploaded_isis3_label_that_reads_a_server_file_is_refused_and_nothing_can_be_downloaded()
    {
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_files, "label.lbl"), ReferencingFiles.FromAnywhere(_secret));
        Dataset upload = (await _client.UploadFileAsync(label, "isis-label")).Dataset;

        DiscoException refused = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "leak", Grid = Grid, DatasetId = upload.Id }));
        Assert.Contains("The main source 'label.lbl'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'secret.bin'", refused.Message, StringComparison.Ordinal);
        AssertNoServerPaths(refused.Message, upload);

        // Nothing was queued and nothing exists to download.
        Assert.Empty(await _client.ListJobsAsync(JobKind.Ingest).ToListAsync());
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync("leak"));
        using var sink = new MemoryStream();
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.DownloadDatasetAsync("leak", sink));

        // As an additional source beside a harmless raster: the same refusal, naming the source.
        string tif = GlobalGeoTiff.Write(Path.Combine(_root, "f.tif"), 72, 36, [(lat, lon) => lat]);
        DiscoException extra = await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "leak-extra",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = tif },
            AdditionalSources = { new RasterSource { DatasetId = upload.Id } },
        }));
        Assert.Contains("additional_sources[0] 'label.lbl'", extra.Message, StringComparison.Ordinal);
        AssertNoServerPaths(extra.Message, upload);
        Assert.Empty(await _client.ListJobsAsync(JobKind.Ingest).ToListAsync());
    }

    [Fact]
    public async Task An_uploaded_pds4_label_cannot_read_the_blob_beside_it_either()
    {
        // Another upload's blob lies in the same store (blobs/sha256/<2 hex>/<hash>): "../<2 hex>/<hash>" finds it.
        Dataset victim = (await _client.UploadFileAsync(_secret, "victim")).Dataset;
        string core = $"../{victim.Blob.Sha256[..2]}/{victim.Blob.Sha256}";
        string label = ReferencingFiles.WritePds4Label(Path.Combine(_files, "product.xml"), core);
        Dataset upload = (await _client.UploadFileAsync(label, "pds4-label")).Dataset;

        DiscoException refused = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "leak-pds4", Grid = Grid, DatasetId = upload.Id }));
        Assert.Contains("The main source 'product.xml'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("it refers to a stored file, which is outside the uploaded file", refused.Message, StringComparison.Ordinal);
        AssertNoServerPaths(refused.Message, upload);
        Assert.DoesNotContain(victim.Blob.Sha256, refused.Message, StringComparison.Ordinal);
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync("leak-pds4"));
    }

    [Fact]
    public async Task Server_paths_under_the_import_root_that_read_outside_it_are_refused()
    {
        // ISIS3 label inside the root, raw data outside, by a plain relative path.
        string relative = Path.GetRelativePath(_root, _secret);
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "cube.lbl"), relative);
        DiscoException isis = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "leak-path", Grid = Grid, ServerPath = new ServerPathSource { Path = label } }));
        Assert.Contains("'secret.bin', which is outside the server's import roots", isis.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_files, isis.Message, StringComparison.Ordinal);

        // A GeoTIFF inside whose .aux.xml names an overview file outside.
        string overview = GlobalGeoTiff.Write(Path.Combine(_files, "overview.tif"), 36, 18, [(lat, lon) => lon]);
        string tif = ReferencingFiles.WriteGeoTiffWithOverviewFile(Path.Combine(_root, "with-overview.tif"), overview);
        DiscoException ovr = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "leak-ovr", Grid = Grid, ServerPath = new ServerPathSource { Path = tif } }));
        Assert.Contains("'overview.tif'", ovr.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_files, ovr.Message, StringComparison.Ordinal);

        // One bad tile among good ones.
        string good = GlobalGeoTiff.Write(Path.Combine(_root, "good.tif"), 72, 36, [(lat, lon) => lat]);
        await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(
            new IngestDatasetRequest { Name = "leak-tiles", Grid = Grid, Tiles = new TileListSource { Paths = { good, label } } }));

        Assert.Empty(await _client.ListJobsAsync(JobKind.Ingest).ToListAsync());
    }

    [Fact]
    public async Task Hdf5_sources_whose_data_lies_in_other_files_are_refused_and_self_contained_ones_ingest()
    {
        // An upload whose "data" is an external link to an HDF5 file elsewhere on the server (netCDF follows it).
        string secret = Hdf5Files.WritePlain(Path.Combine(_files, "secret.h5"), 4242f);
        string link = Hdf5Files.WriteExternalLink(Path.Combine(_files, "link.h5"), secret);
        Dataset upload = (await _client.UploadFileAsync(link, "hdf5-link")).Dataset;
        DiscoException refused = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "leak-hdf5", Grid = Grid, DatasetId = upload.Id }));
        Assert.Contains("The main source 'link.h5'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'secret.h5', which is outside the uploaded file", refused.Message, StringComparison.Ordinal);
        AssertNoServerPaths(refused.Message, upload);

        // A server path under the root: a virtual dataset over the file outside, and external raw data outside.
        string virtualDataset = Hdf5Files.WriteVirtual(Path.Combine(_root, "virtual.h5"), secret);
        DiscoException vds = await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(
            new IngestDatasetRequest { Name = "leak-vds", Grid = Grid, ServerPath = new ServerPathSource { Path = virtualDataset } }));
        Assert.Contains("'secret.h5'", vds.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_files, vds.Message, StringComparison.Ordinal);
        string external = Hdf5Files.WriteExternalStorage(Path.Combine(_root, "external.h5"), Path.Combine(_files, "raw.bin"), 4343f);
        DiscoException raw = await Expect.StatusAsync(StatusCode.PermissionDenied, () => _client.IngestDatasetAsync(
            new IngestDatasetRequest { Name = "leak-raw", Grid = Grid, ServerPath = new ServerPathSource { Path = external } }));
        Assert.Contains("'raw.bin'", raw.Message, StringComparison.Ordinal);

        Assert.Empty(await _client.ListJobsAsync(JobKind.Ingest).ToListAsync());
        await Expect.StatusAsync(StatusCode.NotFound, () => _client.GetDatasetAsync("leak-hdf5"));

        // The same format without references to other files ingests as an upload.
        Dataset plain = (await _client.UploadFileAsync(Hdf5Files.WritePlain(Path.Combine(_files, "plain.h5"), 7f), "hdf5-plain")).Dataset;
        Job job = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "plain-hdf5", Grid = Grid, DatasetId = plain.Id });
        Job done = await _client.WaitForJobAsync(job.Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
    }

    [Fact]
    public async Task Prediction_inputs_that_read_outside_are_refused_before_a_prediction_exists()
    {
        Model model = await _client.ImportModelAsync(Packages.Write(_files, "m.discomodel", seed: 3));
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_files, "photo.lbl"), ReferencingFiles.FromAnywhere(_secret));
        Dataset upload = (await _client.UploadFileAsync(label, "photo-label")).Dataset;
        string inRoot = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "photo.lbl"), Path.GetRelativePath(_root, _secret));

        DiscoException raster = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => DrainAsync(new PredictRequest { Model = model.Id, Raster = new RasterSource { DatasetId = upload.Id } }));
        Assert.Contains("The raster 'photo.lbl'", raster.Message, StringComparison.Ordinal);
        AssertNoServerPaths(raster.Message, upload);
        DiscoException panorama = await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => DrainAsync(new PredictRequest { Model = model.Id, Panorama = new PanoramaSource { DatasetId = upload.Id } }));
        Assert.Contains("The panorama 'photo.lbl'", panorama.Message, StringComparison.Ordinal);
        AssertNoServerPaths(panorama.Message, upload);
        await Expect.StatusAsync(StatusCode.PermissionDenied,
            () => DrainAsync(new PredictRequest { Model = model.Id, Raster = new RasterSource { ServerPath = inRoot } }));

        Assert.Empty(await _client.ListPredictionsAsync().ToListAsync());
        Assert.Empty(await _client.ListJobsAsync(JobKind.Prediction).ToListAsync());
    }

    [Fact]
    public async Task The_ingest_engine_refuses_an_escaping_upload_itself_without_naming_the_blob()
    {
        // The job's own check, for a source that changed between the RPC and the job: the engine as the job runs it.
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_files, "label.lbl"), ReferencingFiles.FromAnywhere(_secret));
        Dataset upload = (await _client.UploadFileAsync(label, "isis-engine")).Dataset;
        string blob = _server.Get<IBlobStore>().PathOf(upload.Blob.Sha256);
        IIngestEngine engine = _server.Get<IIngestEngine>();
        var work = new IngestWork([new IngestSourceFiles([blob], SourceSandboxes.ForUpload(blob), "label.lbl")], GridMapping.ToSphereGrid(Grid), [], 1L << 30);
        EngineAccessDeniedException e = await Assert.ThrowsAsync<EngineAccessDeniedException>(
            () => engine.IngestAsync(work, new Progress<EngineProgress>(), CancellationToken.None));
        Assert.Contains("'secret.bin'", e.Message, StringComparison.Ordinal);
        AssertNoServerPaths(e.Message, upload);
    }

    [Fact]
    public async Task Multi_file_sources_inside_the_root_still_ingest()
    {
        string envi = ReferencingFiles.WriteEnvi(Path.Combine(_root, "grid.dat"), 72, 36);
        string shapefile = ReferencingFiles.WriteShapefile(Path.Combine(_root, "box.shp"), (-60, -30, 60, 30, 7));
        File.Copy(_secret, Path.Combine(_root, "core.bin"));
        string label = ReferencingFiles.WriteIsis3Label(Path.Combine(_root, "inside.lbl"), "core.bin");

        Job envijob = await _client.IngestDatasetAsync(new IngestDatasetRequest
        {
            Name = "envi-and-shapefile",
            Grid = Grid,
            ServerPath = new ServerPathSource { Path = envi },
            AdditionalSources = { new RasterSource { ServerPath = shapefile } },
        });
        Job done = await _client.WaitForJobAsync(envijob.Id);
        Assert.True(done.State == JobState.Succeeded, done.Error?.Message);
        Dataset dataset = await _client.GetDatasetAsync("envi-and-shapefile");
        Assert.Equal(["latitude", "fraction", "label"], dataset.Bands.Select(b => b.Name));

        Job isisJob = await _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "isis-inside", Grid = Grid, ServerPath = new ServerPathSource { Path = label } });
        Job isis = await _client.WaitForJobAsync(isisJob.Id);
        Assert.True(isis.State == JobState.Succeeded, isis.Error?.Message);
    }

    [Fact]
    public async Task Ingest_errors_on_uploads_name_the_upload_not_the_stored_blob()
    {
        string noise = Path.Combine(_files, "noise.bin");
        File.WriteAllBytes(noise, Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray());
        Dataset upload = (await _client.UploadFileAsync(noise, "noise")).Dataset;
        // Unreadable sources are refused at the RPC, where the sources are inspected before a job is queued.
        DiscoException refused = await Assert.ThrowsAsync<DiscoException>(() =>
            _client.IngestDatasetAsync(new IngestDatasetRequest { Name = "noise-grid", Grid = Grid, DatasetId = upload.Id }));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("'noise.bin'", refused.Message, StringComparison.Ordinal);
        AssertNoServerPaths(refused.Message, upload);
    }

    private async Task DrainAsync(PredictRequest request)
    {
        await foreach (PredictResponse response in _client.PredictAsync(request))
        {
            Assert.NotNull(response);
        }
    }

    /// <summary>No blob hash, no data directory, no directory outside the root (the secret's) in what the client sees.</summary>
    private void AssertNoServerPaths(string message, Dataset upload)
    {
        Assert.DoesNotContain(upload.Blob.Sha256, message, StringComparison.Ordinal);
        Assert.DoesNotContain(_server.DataDirectory, message, StringComparison.Ordinal);
        Assert.DoesNotContain(_files, message, StringComparison.Ordinal);
        Assert.DoesNotContain("/", message, StringComparison.Ordinal);
    }
}
