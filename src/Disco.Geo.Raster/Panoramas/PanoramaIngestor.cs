using System.Diagnostics;
using System.Globalization;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Panoramas.Exr;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Disco.Geo.Raster.Panoramas;

/// <summary>Options for <see cref="PanoramaIngestor"/>.</summary>
public sealed record PanoramaOptions
{
    /// <summary>Camera orientation to undo; default level.</summary>
    public CameraOrientation Orientation { get; init; } = CameraOrientation.Level;

    /// <summary>For a photo the caller does not trust: the files it may consist of (see <see cref="RasterSource.Sandbox"/>).</summary>
    public SourceSandbox? Sandbox { get; init; }

    /// <summary>Kernel; null averages when the image is finer than the grid and interpolates bilinearly otherwise.</summary>
    public Resampling? Resampling { get; init; }

    /// <summary>Largest accepted image (width × height) before anything is decoded. Default 2²⁸ (16384 × 16384).</summary>
    public long MaxPixels { get; init; } = 1L << 28;

    /// <summary>The name under which the caller's users raise <see cref="MaxPixels"/>, for the error; null leaves the advice out.</summary>
    public string? MaxPixelsSetting { get; init; } = "PanoramaOptions.MaxPixels";

    /// <summary>Make the nodes of the two pole rows (zenith, nadir) equal, as in raster ingest. Default true.</summary>
    public bool UnifyPoleRows { get; init; } = true;
}

/// <summary>
/// 360° equirectangular panoramas onto sphere grids. Conventions: the image is 2:1; its top row is the zenith
/// (colatitude 0, latitude 90°) and its bottom row the nadir; longitude is the azimuth, −180° at the left edge, 0° at
/// the image centre (the camera's forward direction) and increasing to the right (clockwise seen from above). So a
/// panorama lands on the grid exactly as a plate carrée world image would, with latitude = elevation. A
/// <see cref="CameraOrientation"/> is undone by rotating every grid direction into the camera frame before sampling.
/// Formats: anything GDAL reads (JPEG, PNG 8/16-bit, TIFF including float; an alpha band marks missing pixels) and
/// OpenEXR (decoded in C#; see <see cref="ExrReader"/>), whose linear HDR values are kept as they are.
/// </summary>
public sealed class PanoramaIngestor
{
    private readonly ILogger _logger;

    /// <summary>Creates an ingestor that logs to <paramref name="logger"/> (optional).</summary>
    public PanoramaIngestor(ILogger<PanoramaIngestor>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Ingests a panorama file onto a grid on a thread-pool thread.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The image is not 2:1, is too large, or is corrupt.</exception>
    /// <exception cref="NotSupportedException">An OpenEXR feature the decoder does not implement.</exception>
    /// <exception cref="GdalException">GDAL cannot read the image.</exception>
    public Task<SphereRaster> IngestAsync(string path, SphereGrid grid, PanoramaOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(grid);
        return Task.Run(() => Ingest(path, grid, options ?? new PanoramaOptions(), cancellationToken), cancellationToken);
    }

    /// <summary>Synchronous form of <see cref="IngestAsync"/>.</summary>
    public SphereRaster Ingest(string path, SphereGrid grid, PanoramaOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The panorama '{path}' does not exist.", path);
        }

        if (options.Sandbox is { } sandbox && !sandbox.Contains(path))
        {
            throw new SourceContainmentException(path, path, sandbox.Boundary);
        }

        Stopwatch clock = Stopwatch.StartNew();
        GdalRuntime.EnsureInitialized();
        List<string> notes = [];
        GdalDataset image = IsExr(path) ? LoadExr(path, options, notes) : OpenWithGdal(path, options);
        RasterLimits limits = new() { MaxSourcePixels = options.MaxPixels, MaxSourcePixelsSetting = options.MaxPixelsSetting };
        using PreparedSource prepared = PreparedSource.FromDataset(image, [path], "EPSG:4326", GeoBounds.World, limits, cancellationToken);
        double[]? rotation = null;
        if (!options.Orientation.IsIdentity)
        {
            rotation = options.Orientation.LevelToCamera();
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"camera orientation undone: yaw {options.Orientation.YawDegrees}°, pitch {options.Orientation.PitchDegrees}°, roll {options.Orientation.RollDegrees}°"));
        }

        RasterIngestOptions ingest = new() { InputResampling = options.Resampling, UnifyPoleRows = options.UnifyPoleRows, Limits = limits };
        SphereRaster result = RasterIngestor.Resample(prepared, grid, ingest, rotation, notes, cancellationToken);
        _logger.LogInformation("Ingested panorama {Path} ({Width}x{Height}) onto {Grid} in {Milliseconds} ms",
            path, prepared.Width, prepared.Height, grid, clock.ElapsedMilliseconds);
        return result;
    }

    private static bool IsExr(string path)
    {
        Span<byte> start = stackalloc byte[4];
        using FileStream stream = File.OpenRead(path);
        return stream.Read(start) == 4 && ExrReader.HasMagic(start);
    }

    private static GdalDataset OpenWithGdal(string path, PanoramaOptions options)
    {
        GdalDataset dataset = SandboxedOpen.Open(path, GdalOpenKind.Raster, options.Sandbox);
        try
        {
            CheckShape(path, dataset.Width, dataset.Height, options);
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>Decodes an OpenEXR panorama into a MEM dataset: colour channels as float bands, alpha as an alpha band.</summary>
    private static GdalDataset LoadExr(string path, PanoramaOptions options, List<string> notes)
    {
        ExrImage exr = ExrReader.Read(path, options.MaxPixels);
        CheckShape(path, exr.Width, exr.Height, options);
        List<(string Name, float[] Plane, ColorInterpretation Role)> bands = [];
        foreach ((string channel, string name, ColorInterpretation role) in new[]
                 {
                     ("R", "red", ColorInterpretation.Red), ("G", "green", ColorInterpretation.Green), ("B", "blue", ColorInterpretation.Blue),
                 })
        {
            if (exr.Plane(channel) is { } plane)
            {
                bands.Add((name, plane, role));
            }
        }

        if (bands.Count == 0)
        {
            float[] luminance = exr.Plane("Y") ?? throw new InvalidDataException(
                $"'{path}' has channels {string.Join(", ", exr.Channels.Select(c => c.Name))} but no R, G, B or Y channel to use as a panorama.");
            bands.Add(("luminance", luminance, ColorInterpretation.Gray));
        }

        if (exr.Plane("A") is { } alpha)
        {
            bands.Add(("alpha", alpha, ColorInterpretation.Alpha));
        }

        GdalDataset dataset = GdalDataset.CreateInMemory(exr.Width, exr.Height, bands.Count, GdalDataType.Float32);
        try
        {
            for (int b = 0; b < bands.Count; b++)
            {
                GdalBand band = dataset.GetBand(b + 1);
                band.Write<float>(bands[b].Plane, 0, 0, exr.Width, exr.Height);
                band.Description = bands[b].Name;
                band.ColorInterpretation = bands[b].Role;
            }

            notes.Add($"OpenEXR ({exr.Compression}) decoded by the built-in decoder; linear HDR values kept");
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    private static void CheckShape(string path, long width, long height, PanoramaOptions options)
    {
        if (width * height > options.MaxPixels)
        {
            throw new InvalidDataException(
                $"'{path}' is {width}x{height} pixels, more than the limit of {options.MaxPixels:N0}{RasterLimits.RaiseAdvice(options.MaxPixelsSetting, " if it is genuine")}.");
        }

        // One pixel of slack for odd widths; a true equirectangular panorama spans 360° by 180°.
        if (Math.Abs(width - 2 * height) > 1)
        {
            string ratio = ((double)width / height).ToString("F2", CultureInfo.InvariantCulture);
            throw new InvalidDataException(
                $"'{path}' is {width}x{height} ({ratio}:1), but an equirectangular 360° panorama is 2:1 (e.g. {2 * height}x{height}). " +
                "If it covers only part of the sphere, pad it to 2:1 (transparent or black) so that its rows still span 90° to -90°.");
        }
    }
}
