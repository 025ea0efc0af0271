using Disco.Geo.Engine.Ingest;
using Disco.Geo.Engine.Training;
using Disco.Geo.Gdal;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Ingest;
using Disco.Geo.Raster.Panoramas;
using Disco.Geo.Sphere.Data;

namespace Disco.Geo.Engine.Prediction;

/// <summary>A model's input on its grid: bands [count, nlat, nlon], finite, and the validity of every node.</summary>
/// <param name="Values">Input bands, row-major.</param>
/// <param name="Bands">Number of bands.</param>
/// <param name="Mask">1 valid, 0 no data, per node.</param>
/// <param name="Truth">The dataset's label bands [bands, nlat, nlon] when the input is a labelled gridded dataset, for held-out scores.</param>
/// <param name="TruthBands">Number of bands in <paramref name="Truth"/>.</param>
internal sealed record PredictionInputArray(float[] Values, int Bands, byte[] Mask, float[]? Truth = null, int TruthBands = 0)
{
    /// <summary>
    /// The inputs of the later steps of a time stack (this array is the first step), each with its timestamp in
    /// <see cref="TimeSteps"/>; empty for one map.
    /// </summary>
    public IReadOnlyList<PredictionInputArray> LaterSteps { get; init; } = [];

    /// <summary>The timestamps of every step (the first one included), or empty for one map.</summary>
    public IReadOnlyList<DateTime> TimeSteps { get; init; } = [];
}

/// <summary>
/// Brings any prediction input onto the model's grid: a gridded dataset as stored (it must be on the model's grid;
/// its input-role bands are the inputs), a raster resampled by the ingest engine (every band but alpha, inputs
/// averaged or interpolated by scale), or a 360° photo resampled by <see cref="PanoramaIngestor"/> with the camera
/// orientation undone. The band count must match the model's inputs, except that a grey photo (one band GDAL reads
/// as grey) given to a model of three inputs is read as red = green = blue, which is what a colour camera would have
/// recorded of a grey scene. An alpha band is never an input: its transparent pixels are nodes without data, which
/// the prediction leaves out (no value, nodata in every export).
/// </summary>
internal sealed class PredictionInputs(IIngestEngine ingest, ILoggerFactory loggers)
{
    private readonly PanoramaIngestor _panoramas = new(loggers.CreateLogger<PanoramaIngestor>());

    /// <summary>Reads the input.</summary>
    /// <exception cref="EngineInputException">Wrong grid, wrong band count, unreadable file.</exception>
    public async Task<PredictionInputArray> ReadAsync(PredictionWork work, SphereGrid grid, int inputChannels, IProgress<EngineProgress> progress, CancellationToken cancellationToken)
    {
        PredictionInputArray input;
        string what;
        if (work.Input.Gridded is { } gridded)
        {
            what = $"dataset {gridded.DatasetId}";
            IReadOnlyList<GriddedTensor> steps = await Task.Run(() => GriddedDatasetReader.ReadSteps(gridded, cancellationToken), cancellationToken);
            GriddedTensor tensor = steps[0];
            if (!tensor.Grid.Equals(grid))
            {
                throw new EngineInputException(
                    $"Dataset {gridded.DatasetId} is on {tensor.Grid} but the model runs on {grid}; ingest the source onto the model's grid, or predict on the raster itself (it is resampled for you).");
            }

            static PredictionInputArray Of(GriddedTensor tensor) => tensor.LabelNames.Count > 0
                ? new PredictionInputArray(tensor.Inputs, tensor.InputNames.Count, tensor.Mask, tensor.Labels, tensor.LabelNames.Count)
                : new PredictionInputArray(tensor.Inputs, tensor.InputNames.Count, tensor.Mask);
            input = Of(tensor) with { LaterSteps = [.. steps.Skip(1).Select(Of)], TimeSteps = gridded.TimeSteps };
        }
        else if (work.Input.RasterPath is { } rasterPath)
        {
            what = "the raster";
            var files = new IngestSourceFiles([rasterPath], RequireSandbox(work.Input), work.Input.DisplayName) { Bounds = work.Input.Bounds };
            IngestOutput output = await ingest.IngestAsync(
                new IngestWork([files], grid, [], work.MaxRasterPixels), new StageProgress(progress, 0.3), cancellationToken);
            int nodes = (int)grid.NodeCount, bands = output.Bands.Count, stepCount = Math.Max(1, output.TimeSteps.Count);
            string[] bandNames = [.. output.Bands.Select(b => b.Name)];
            var steps = new PredictionInputArray[stepCount];
            for (int t = 0; t < stepCount; t++)
            {
                // A time stack's file gives every step's bands one step after the other; each step is filled on its own.
                byte[] mask = output.Mask is { } shared ? [.. shared] : Enumerable.Repeat((byte)1, nodes).ToArray();
                float[] stepValues = stepCount == 1 ? output.Values : output.Values.AsSpan(t * bands * nodes, bands * nodes).ToArray();
                (float[] values, int count) = GreyAsColour(stepValues, bandNames, inputChannels);
                GriddedTensor.FillMissing(grid, values, count, mask);
                steps[t] = new PredictionInputArray(values, count, mask);
            }

            input = steps[0] with { LaterSteps = steps[1..], TimeSteps = output.TimeSteps };
        }
        else if (work.Input.Panorama is { } panorama && work.Input.PanoramaPath is { } photo)
        {
            what = "the panorama";
            progress.Report(new EngineProgress(0.05, "resampling", "Resampling the panorama onto the model's grid"));
            SphereRaster raster = await ReadPanoramaAsync(photo, grid, panorama, work.MaxRasterPixels, RequireSandbox(work.Input), cancellationToken);
            int[] inputs = [.. Enumerable.Range(0, raster.BandCount).Where(b => raster.Bands[b].Role == BandRole.Input)];
            SphereRaster selected = inputs.Length == raster.BandCount ? raster : raster.SelectBands(inputs);
            byte[] mask = [.. selected.Valid.Select(v => v ? (byte)1 : (byte)0)];
            (float[] values, int count) = GreyAsColour([.. selected.Data], [.. selected.Bands.Select(b => b.Name)], inputChannels);
            GriddedTensor.FillMissing(grid, values, count, mask);
            input = new PredictionInputArray(values, count, mask);
        }
        else
        {
            throw new EngineInputException("The prediction request has no input: give a dataset, a raster or a panorama.");
        }

        if (input.Bands != inputChannels)
        {
            throw new EngineInputException(
                $"The model reads {inputChannels} input band(s) but {what} has {input.Bands}; give an input with the bands the model was trained on (see `disco models show`).");
        }

        return input;
    }

    /// <summary>
    /// A single grey band (GDAL's colour interpretation, named "gray" by the ingest) becomes three equal bands when the
    /// model reads three (an RGB model); anything else is returned as it is and checked against the model afterwards.
    /// </summary>
    internal static (float[] Values, int Bands) GreyAsColour(float[] values, IReadOnlyList<string> bandNames, int inputChannels)
    {
        if (bandNames.Count != 1 || inputChannels != 3 || !string.Equals(bandNames[0], "gray", StringComparison.Ordinal))
        {
            return (values, bandNames.Count);
        }

        float[] rgb = new float[3 * values.Length];
        for (int c = 0; c < 3; c++)
        {
            values.CopyTo(rgb, c * values.Length);
        }

        return (rgb, 3);
    }

    /// <summary>A file input is read only through its sandbox; a missing one is a bug in the caller, not a trusted file.</summary>
    private static SourceSandbox RequireSandbox(PredictionInput input) =>
        input.Sandbox ?? throw new InvalidOperationException("A raster or panorama input needs the sandbox of its file.");

    private async Task<SphereRaster> ReadPanoramaAsync(string path, SphereGrid grid, CameraOrientation orientation, long maxPixels, SourceSandbox sandbox,
        CancellationToken cancellationToken)
    {
        var options = new PanoramaOptions
        {
            Orientation = orientation,
            MaxPixels = maxPixels,
            Sandbox = sandbox,
            MaxPixelsSetting = ServerRasterLimits.MaxPixelsSetting,
        };
        try
        {
            return await _panoramas.IngestAsync(path, grid, options, cancellationToken);
        }
        catch (SourceContainmentException e)
        {
            throw new EngineAccessDeniedException(IngestSandboxes.Describe("The panorama", e));
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or GdalException && !cancellationToken.IsCancellationRequested)
        {
            throw new EngineInputException($"The panorama cannot be read: {e.Message.Replace(path, "the image", StringComparison.Ordinal)}");
        }
    }

    /// <summary>Scales a sub-task's progress into the first part of the job.</summary>
    private sealed class StageProgress(IProgress<EngineProgress> target, double share) : IProgress<EngineProgress>
    {
        public void Report(EngineProgress value) => target.Report(value with { Fraction = value.Fraction * share });
    }
}
