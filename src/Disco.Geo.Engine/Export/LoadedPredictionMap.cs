using System.Globalization;
using Disco.Geo.Grids;
using Disco.Geo.Raster;
using Disco.Geo.Raster.Rendering;
using Disco.Geo.Raster.Storage;
using Disco.Geo.Sphere.Packaging;

namespace Disco.Geo.Engine.Export;

/// <summary>
/// A finished prediction map read from its tensor file, with what previews need:
/// <list type="bullet">
/// <item>a class map (one band with the label role, or one band of integer values from a segmentation model) is
/// drawn in the model's class colours (a default palette for classes the model does not describe);</item>
/// <item>class probabilities (one band per model class) are previewed as their most probable class;</item>
/// <item>anything else (regression, depth, a single probability) shows its first band in viridis over its range.</item>
/// </list>
/// Immutable once loaded, so tiles and exports can share it across threads.
/// </summary>
internal sealed class LoadedPredictionMap
{
    // Summed-area table of node validity ((NLat + 1) × (NLon + 1)), or null when every node is valid.
    private readonly int[]? _validSums;

    private LoadedPredictionMap(SphereRaster values, SphereRaster display, ColorMap colorMap, IReadOnlyList<MapClass>? classes, bool isClassMap, int[]? validSums)
    {
        Values = values;
        Display = display;
        ColorMap = colorMap;
        Classes = classes;
        IsClassMap = isClassMap;
        _validSums = validSums;
        long bytes = ((long)values.Data.Length * sizeof(float)) + values.Valid.Length + ((validSums?.LongLength ?? 0) * sizeof(int));
        if (!ReferenceEquals(display, values))
        {
            bytes += (long)display.Data.Length * sizeof(float);
        }

        Bytes = bytes;
    }

    /// <summary>Every band of the map, invalid nodes zeroed.</summary>
    public SphereRaster Values { get; }

    /// <summary>The one band previews and tiles draw (the class map, the most probable class, or the first band).</summary>
    public SphereRaster Display { get; }

    public ColorMap ColorMap { get; }

    /// <summary>The classes of <see cref="Display"/> when it holds class ids, else null.</summary>
    public IReadOnlyList<MapClass>? Classes { get; }

    /// <summary>True when <see cref="Values"/> itself is a single-band class map.</summary>
    public bool IsClassMap { get; }

    /// <summary>True when <see cref="Display"/> holds class ids (a class map, or the most probable class).</summary>
    public bool HasClasses => Classes is not null;

    /// <summary>Memory held, for the cache's budget.</summary>
    public long Bytes { get; }

    /// <summary>Reads the tensor file of a map.</summary>
    /// <exception cref="InvalidDataException">The file is not a tensor file of the map's grid.</exception>
    public static LoadedPredictionMap Load(PredictionMap map, CancellationToken cancellationToken)
    {
        SphereGrid grid = map.Grid;
        using TensorFile file = TensorFile.OpenRead(map.TensorPath);
        file.RequireShape(grid.NLat, grid.NLon, $"The map of prediction {map.PredictionId}");
        int nodes = (int)grid.NodeCount;
        cancellationToken.ThrowIfCancellationRequested();
        float[] data = file.ReadAllBands();
        cancellationToken.ThrowIfCancellationRequested();
        int bandCount = file.Bands;
        if (map.BandWindow is { } window)
        {
            // One time step of a time-stack map: only its bands.
            if (window.First < 0 || window.Count < 1 || window.First + window.Count > file.Bands)
            {
                throw new InvalidDataException($"The map of prediction {map.PredictionId} has {file.Bands} bands, not bands {window.First}..{window.First + window.Count - 1}.");
            }

            data = data.AsSpan(window.First * nodes, window.Count * nodes).ToArray();
            bandCount = window.Count;
        }

        byte[] mask = new byte[nodes];
        file.ReadMask(0, file.NLat, mask);
        bool[] valid = new bool[nodes];
        for (int k = 0; k < nodes; k++)
        {
            bool ok = mask[k] != 0;
            for (int b = 0; b < bandCount && ok; b++)
            {
                ok = float.IsFinite(data[(b * nodes) + k]);
            }

            valid[k] = ok;
            if (!ok)
            {
                for (int b = 0; b < bandCount; b++)
                {
                    data[(b * nodes) + k] = 0f;
                }
            }
        }

        var bands = new RasterBandInfo[bandCount];
        for (int b = 0; b < bandCount; b++)
        {
            bool described = map.Bands.Count == bandCount;
            string name = described && map.Bands[b].Name.Length > 0 ? map.Bands[b].Name : $"band{b + 1}";
            BandRole role = described ? map.Bands[b].Role : BandRole.Input;
            bands[b] = new RasterBandInfo(name, role == BandRole.Mask ? BandRole.Input : role);
        }

        var values = new SphereRaster(grid, data, bands, valid, new RasterProvenance { Sources = [$"prediction {map.PredictionId}"], Grid = grid.ToString() });
        return Style(map, values, valid.All(v => v) ? null : ValidSums(grid, valid));
    }

    /// <summary>
    /// True when a valid node lies within the given lon/lat box widened by one node spacing (what the tile sampler may
    /// read for pixels in the box).
    /// </summary>
    public bool AnyValid(double west, double south, double east, double north)
    {
        if (_validSums is null)
        {
            return true;
        }

        SphereGrid grid = Values.Grid;
        double rowMargin = 180.0 / Math.Max(1, grid.NLat - 1);
        int firstRow = -1;
        int lastRow = -1;
        for (int i = 0; i < grid.NLat; i++)
        {
            double latitude = grid.LatitudeDegrees(i);
            if (latitude <= north + rowMargin && latitude >= south - rowMargin)
            {
                firstRow = firstRow < 0 ? i : firstRow;
                lastRow = i;
            }
        }

        if (firstRow < 0)
        {
            return false;
        }

        double step = grid.LonStepDegrees;
        long firstColumn = (long)Math.Ceiling((west - step - grid.LonOriginDegrees) / step);
        long lastColumn = (long)Math.Floor((east + step - grid.LonOriginDegrees) / step);
        if (lastColumn - firstColumn + 1 >= grid.NLon)
        {
            return ValidCount(firstRow, lastRow, 0, grid.NLon - 1) > 0;
        }

        int start = (int)(((firstColumn % grid.NLon) + grid.NLon) % grid.NLon);
        int end = (int)(((lastColumn % grid.NLon) + grid.NLon) % grid.NLon);
        return start <= end
            ? ValidCount(firstRow, lastRow, start, end) > 0
            : ValidCount(firstRow, lastRow, start, grid.NLon - 1) + ValidCount(firstRow, lastRow, 0, end) > 0;
    }

    private int ValidCount(int row0, int row1, int column0, int column1)
    {
        int stride = Values.Grid.NLon + 1;
        int[] sums = _validSums!;
        return sums[((row1 + 1) * stride) + column1 + 1] - sums[(row0 * stride) + column1 + 1] - sums[((row1 + 1) * stride) + column0] + sums[(row0 * stride) + column0];
    }

    private static int[] ValidSums(SphereGrid grid, bool[] valid)
    {
        int stride = grid.NLon + 1;
        int[] sums = new int[(grid.NLat + 1) * stride];
        for (int i = 0; i < grid.NLat; i++)
        {
            int rowSum = 0;
            for (int p = 0; p < grid.NLon; p++)
            {
                rowSum += valid[(i * grid.NLon) + p] ? 1 : 0;
                sums[((i + 1) * stride) + p + 1] = sums[(i * stride) + p + 1] + rowSum;
            }
        }

        return sums;
    }

    private static LoadedPredictionMap Style(PredictionMap map, SphereRaster values, int[]? validSums)
    {
        IReadOnlyList<MapClass>? modelClasses = ModelClasses(map.Model);
        bool segmentation = map.Model.Task.Contains("segmentation", StringComparison.OrdinalIgnoreCase);
        if (values.BandCount == 1 && (map.Bands.FirstOrDefault()?.Role == BandRole.Label || segmentation) && HoldsClassIds(values))
        {
            IReadOnlyList<MapClass> classes = Complete(modelClasses, values);
            return new LoadedPredictionMap(values, values, ColorMap.Categorical(classes), classes, isClassMap: true, validSums);
        }

        if (values.BandCount > 1 && modelClasses is not null && modelClasses.Count == values.BandCount)
        {
            SphereRaster argmax = MostProbable(values, modelClasses);
            return new LoadedPredictionMap(values, argmax, ColorMap.Categorical(modelClasses), modelClasses, isClassMap: false, validSums);
        }

        SphereRaster first = values.BandCount == 1 ? values : values.SelectBands(0);
        (double min, double max) = Range(first);
        return new LoadedPredictionMap(values, first, ColorMap.Viridis(min, max), null, isClassMap: false, validSums);
    }

    /// <summary>The model's classes as map classes: missing colours from the default palette, unnamed classes "class N".</summary>
    private static List<MapClass>? ModelClasses(MapModel model)
    {
        if (model.Classes.Count == 0)
        {
            return null;
        }

        var classes = new List<MapClass>();
        foreach (ClassInfo item in model.Classes.Where(c => c.Id is >= 0 and <= 65534).DistinctBy(c => c.Id))
        {
            MapClass fallback = MapClass.Default(item.Id + 1)[item.Id];
            string name = string.IsNullOrWhiteSpace(item.Name) ? fallback.Name : item.Name;
            MapClass entry = fallback with { Name = name };
            if (TryParseColour(item.Color, out byte red, out byte green, out byte blue))
            {
                entry = entry with { Red = red, Green = green, Blue = blue };
            }

            classes.Add(entry);
        }

        return classes.Count == 0 ? null : classes;
    }

    private static bool TryParseColour(string text, out byte red, out byte green, out byte blue)
    {
        red = green = blue = 0;
        string digits = text.TrimStart('#');
        if (digits.Length != 6 || !int.TryParse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int value))
        {
            return false;
        }

        (red, green, blue) = ((byte)(value >> 16), (byte)(value >> 8), (byte)value);
        return true;
    }

    /// <summary>Adds default entries for ids present in the map but not described by the model.</summary>
    private static List<MapClass> Complete(IReadOnlyList<MapClass>? classes, SphereRaster map)
    {
        var result = new List<MapClass>(classes ?? []);
        var known = result.Select(c => c.Id).ToHashSet();
        ReadOnlySpan<float> values = map.Band(0);
        var present = new SortedSet<int>();
        for (int k = 0; k < values.Length; k++)
        {
            if (map.Valid[k])
            {
                present.Add((int)values[k]);
            }
        }

        foreach (int id in present.Where(id => !known.Contains(id)))
        {
            result.Add(MapClass.Default(id + 1)[id]);
        }

        return result;
    }

    private static bool HoldsClassIds(SphereRaster map)
    {
        ReadOnlySpan<float> values = map.Band(0);
        for (int k = 0; k < values.Length; k++)
        {
            if (map.Valid[k] && (values[k] != MathF.Round(values[k]) || values[k] is < 0 or > 65534))
            {
                return false;
            }
        }

        return true;
    }

    private static SphereRaster MostProbable(SphereRaster probabilities, IReadOnlyList<MapClass> classes)
    {
        int nodes = (int)probabilities.Grid.NodeCount;
        float[] ids = new float[nodes];
        for (int k = 0; k < nodes; k++)
        {
            int best = 0;
            for (int b = 1; b < probabilities.BandCount; b++)
            {
                if (probabilities.Data[(b * nodes) + k] > probabilities.Data[(best * nodes) + k])
                {
                    best = b;
                }
            }

            ids[k] = probabilities.Valid[k] ? classes[best].Id : 0;
        }

        return new SphereRaster(probabilities.Grid, ids, [new RasterBandInfo("class", BandRole.Label)], probabilities.Valid, probabilities.Provenance);
    }

    private static (double Min, double Max) Range(SphereRaster band)
    {
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        ReadOnlySpan<float> values = band.Band(0);
        for (int k = 0; k < values.Length; k++)
        {
            if (band.Valid[k])
            {
                min = Math.Min(min, values[k]);
                max = Math.Max(max, values[k]);
            }
        }

        if (double.IsInfinity(min))
        {
            return (0, 1);
        }

        return max > min ? (min, max) : (min - 0.5, max + 0.5);
    }
}
