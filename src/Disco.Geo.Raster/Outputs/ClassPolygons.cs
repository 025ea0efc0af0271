using System.Text.Json;
using Disco.Geo.Gdal;
using Disco.Geo.Gdal.Utilities;
using Disco.Geo.Raster.Statistics;
using NetTopologySuite.Algorithm;
using NetTopologySuite.Coverage;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Union;

namespace Disco.Geo.Raster.Outputs;

/// <summary>Options for <see cref="ClassPolygons"/>.</summary>
public sealed record ClassPolygonOptions
{
    /// <summary>0-based band holding class ids.</summary>
    public int Band { get; init; }

    /// <summary>Class names (written as the "name" property).</summary>
    public IReadOnlyList<MapClass>? Classes { get; init; }

    /// <summary>Only these class ids (null = all).</summary>
    public IReadOnlySet<int>? IncludeClasses { get; init; }

    /// <summary>
    /// Simplification tolerance in degrees for NetTopologySuite's coverage simplifier (Visvalingam–Whyatt: a vertex goes
    /// when the triangle it forms with its neighbours is smaller than the tolerance squared). The edges between classes
    /// are simplified once, for both sides, so the polygons keep tiling the map without gaps or overlaps; the outer
    /// boundary (the map's edge, nodata) is kept. Null = one grid cell, which straightens the cells' staircase
    /// (its steps are half a cell in area); 0 keeps the cell edges.
    /// </summary>
    public double? SimplifyToleranceDegrees { get; init; }

    /// <summary>Join cells that touch only at a corner (GDALPolygonize 8-connectedness). Default false (4-connected).</summary>
    public bool EightConnected { get; init; }

    /// <summary>Drop polygons smaller than this (km²).</summary>
    public double MinAreaKm2 { get; init; }
}

/// <summary>
/// Class maps as polygons: GDALPolygonize traces the regions of equal class on the map's regular EPSG:4326 layout
/// (<see cref="RegularLayout"/>; the nearest row where latitudes are not equispaced)
/// (one cell per node where the grid allows it), NetTopologySuite simplifies them as a coverage (every edge between two
/// classes once, so the polygons of all classes still tile the map: no gaps, no overlaps), then makes them
/// antimeridian-safe (parts beyond ±180° are cut off and shifted back by 360°, then merged with their class, so every
/// polygon lies within −180..180 and a region crossing the antimeridian becomes two polygons meeting at ±180°, as RFC
/// 7946 asks) and clips the pole rows' cells, which reach half a row past the poles, at ±90°. Rings are oriented RFC
/// 7946-style (exterior counter-clockwise) and each polygon gets its area in km² on the WGS 84 ellipsoid, with its
/// edges taken as straight lines in longitude/latitude (<see cref="EllipsoidArea"/>; not geodesic edges). Properties:
/// "class" (id), "name" (when known), "area_km2".
/// </summary>
public static class ClassPolygons
{
    private static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    /// <summary>Traces the class polygons.</summary>
    /// <exception cref="ArgumentException">The band is out of range or holds non-integer values.</exception>
    public static Task<FeatureCollection> ExtractAsync(SphereRaster classMap, ClassPolygonOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Extract(classMap, options ?? new ClassPolygonOptions(), cancellationToken), cancellationToken);

    /// <summary>Traces the class polygons and writes them as a GeoJSON FeatureCollection (atomically).</summary>
    public static async Task WriteGeoJsonAsync(SphereRaster classMap, string path, ClassPolygonOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FeatureCollection features = await ExtractAsync(classMap, options, cancellationToken).ConfigureAwait(false);
        string temporary = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, ToGeoJson(features), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Serialises features as GeoJSON.</summary>
    public static string ToGeoJson(FeatureCollection features)
    {
        JsonSerializerOptions json = new();
        json.Converters.Add(new GeoJsonConverterFactory(Factory));
        return JsonSerializer.Serialize(features, json);
    }

    /// <summary>Synchronous form of <see cref="ExtractAsync"/>.</summary>
    public static FeatureCollection Extract(SphereRaster classMap, ClassPolygonOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classMap);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Band < 0 || options.Band >= classMap.BandCount)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Band, $"The map has bands 0..{classMap.BandCount - 1}.");
        }

        ReadOnlySpan<float> values = classMap.Band(options.Band);
        for (int k = 0; k < values.Length; k++)
        {
            if (classMap.Valid[k] && (values[k] != MathF.Round(values[k]) || !float.IsFinite(values[k])))
            {
                throw new ArgumentException($"Band '{classMap.Bands[options.Band].Name}' holds {values[k]}, not a class id; polygons need integer class ids.", nameof(classMap));
            }
        }

        RegularLayout layout = RegularLayout.For(classMap.Grid);
        List<(int Class, Polygon Polygon)> traced = Trace(classMap, options, layout, cancellationToken);
        double tolerance = options.SimplifyToleranceDegrees ?? Math.Max(layout.PixelWidth, layout.PixelHeight);
        if (tolerance > 0 && traced.Count > 0)
        {
            // All classes at once: simplifying each polygon on its own moves the two sides of a shared edge apart.
            Geometry[] simplified = CoverageSimplifier.SimplifyInner(traced.Select(t => (Geometry)t.Polygon).ToArray(), tolerance);
            traced = traced.Select((t, i) => (t.Class, simplified[i] as Polygon ?? Factory.CreatePolygon())).ToList();
        }

        FeatureCollection collection = [];
        foreach (IGrouping<int, (int Class, Polygon Polygon)> group in traced.GroupBy(t => t.Class).OrderBy(g => g.Key))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (options.IncludeClasses is not null && !options.IncludeClasses.Contains(group.Key))
            {
                continue;
            }

            // GDALPolygonize returns a partition: polygons of one class never overlap, so only the pieces at the
            // antimeridian (parts cut off beyond ±180° and the polygons they come back next to) need a union.
            double seamMargin = 2 * layout.PixelWidth;
            List<Geometry> seam = [];
            List<Geometry> merged = [];
            foreach ((_, Polygon polygon) in group)
            {
                if (polygon.IsEmpty)
                {
                    continue;
                }

                Envelope envelope = polygon.EnvelopeInternal;
                bool beyondPoles = envelope.MaxY > 90 || envelope.MinY < -90;
                if (envelope.MinX < -180 || envelope.MaxX > 180)
                {
                    seam.AddRange(IntoWorld(polygon));
                }
                else if (envelope.MinX <= -180 + seamMargin || envelope.MaxX >= 180 - seamMargin)
                {
                    seam.AddRange(beyondPoles ? IntoWorld(polygon) : [polygon]);
                }
                else
                {
                    merged.AddRange(beyondPoles ? IntoWorld(polygon) : [polygon]);
                }
            }

            if (seam.Count > 0)
            {
                Geometry joined = UnaryUnionOp.Union(seam);
                for (int g = 0; g < joined.NumGeometries; g++)
                {
                    merged.Add(joined.GetGeometryN(g));
                }
            }

            string? name = options.Classes?.FirstOrDefault(c => c.Id == group.Key)?.Name;
            foreach (Geometry piece in merged)
            {
                for (int g = 0; g < piece.NumGeometries; g++)
                {
                    if (piece.GetGeometryN(g) is not Polygon polygon || polygon.IsEmpty)
                    {
                        continue;
                    }

                    Polygon oriented = Orient(polygon);
                    double area = EllipsoidArea.AreaKm2(oriented);
                    if (area < options.MinAreaKm2)
                    {
                        continue;
                    }

                    AttributesTable attributes = new() { { "class", group.Key } };
                    if (name is not null)
                    {
                        attributes.Add("name", name);
                    }

                    attributes.Add("area_km2", Math.Round(area, 3));
                    collection.Add(new Feature(oriented, attributes));
                }
            }
        }

        return collection;
    }

    private static List<(int Class, Polygon Polygon)> Trace(SphereRaster classMap, ClassPolygonOptions options, RegularLayout layout, CancellationToken cancellationToken)
    {
        (float[] classes, bool[] valid) = layout.Resample(classMap, options.Band, categorical: true, noData: 0);
        int[] ids = new int[classes.Length];
        byte[] mask = new byte[classes.Length];
        for (int k = 0; k < ids.Length; k++)
        {
            ids[k] = (int)classes[k];
            mask[k] = valid[k] ? (byte)255 : (byte)0;
        }

        using GdalDataset raster = GdalDataset.CreateInMemory(layout.Width, layout.Height, 2, GdalDataType.Int32);
        raster.SetGeoTransform(layout.GeoTransform);
        using (SpatialReference wgs84 = SpatialReference.Wgs84())
        {
            raster.SetSpatialReference(wgs84);
        }

        raster.GetBand(1).Write<int>(ids, 0, 0, layout.Width, layout.Height);
        raster.GetBand(2).Write<int>(mask.Select(m => (int)m).ToArray(), 0, 0, layout.Width, layout.Height);
        using GdalDataset vector = GdalDataset.CreateVector("Memory", "polygons");
        OgrLayer layer;
        using (SpatialReference wgs84 = SpatialReference.Wgs84())
        {
            layer = vector.CreateLayer("classes", wgs84, OgrGeometryType.Polygon);
        }

        layer.CreateField("class", OgrFieldType.Integer);
        GdalUtilities.Polygonize(raster.GetBand(1), raster.GetBand(2), layer, 0, options.EightConnected, cancellationToken);
        WKBReader reader = new(new NetTopologySuite.NtsGeometryServices(Factory.PrecisionModel, 4326));
        List<(int, Polygon)> polygons = [];
        foreach (OgrFeatureRecord feature in layer.ReadFeatures())
        {
            if (feature.WellKnownBinary is null || reader.Read(feature.WellKnownBinary) is not Polygon polygon)
            {
                continue;
            }

            polygons.Add((Convert.ToInt32(feature.Fields["class"], System.Globalization.CultureInfo.InvariantCulture), polygon));
        }

        return polygons;
    }

    /// <summary>
    /// The parts of a polygon west of −180° and east of 180°, shifted by ±360° into −180..180, each clipped to ±90° (the
    /// pole rows' cells reach half a row beyond the poles).
    /// </summary>
    private static IEnumerable<Geometry> IntoWorld(Polygon polygon)
    {
        Envelope envelope = polygon.EnvelopeInternal;
        if (envelope.MinX >= -180 && envelope.MaxX <= 180 && envelope.MinY >= -90 && envelope.MaxY <= 90)
        {
            yield return polygon;
            yield break;
        }

        for (int k = -1; k <= 1; k++)
        {
            double west = -180 + 360 * k;
            Polygon box = (Polygon)Factory.ToGeometry(new Envelope(west, west + 360, -90, 90));
            Geometry part = polygon.Intersection(box);
            if (part.IsEmpty || part.Area == 0)
            {
                continue;
            }

            if (k != 0)
            {
                part = NetTopologySuite.Geometries.Utilities.AffineTransformation.TranslationInstance(-360 * k, 0).Transform(part);
            }

            yield return part;
        }
    }

    private static Polygon Orient(Polygon polygon)
    {
        LinearRing shell = polygon.Shell;
        if (!Orientation.IsCCW(shell.CoordinateSequence))
        {
            shell = (LinearRing)shell.Reverse();
        }

        LinearRing[] holes = polygon.Holes
            .Select(hole => Orientation.IsCCW(hole.CoordinateSequence) ? (LinearRing)hole.Reverse() : hole)
            .ToArray();
        return Factory.CreatePolygon(shell, holes);
    }
}
