using System.Globalization;
using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Outputs;

/// <summary>Builds the in-memory EPSG:4326 GDAL raster of a sphere-grid map (see <see cref="RegularLayout"/>).</summary>
internal static class RegularRasterBuilder
{
    /// <summary>The chosen pixel type, nodata value and whether the map is categorical.</summary>
    internal sealed record Encoding(GdalDataType DataType, double NoData, bool Categorical, IReadOnlyList<MapClass>? Classes);

    internal static Encoding ChooseEncoding(SphereRaster raster, OutputDataType requested, IReadOnlyList<MapClass>? classes)
    {
        if (classes is not null)
        {
            MapClass.Validate(classes, nameof(classes));
        }

        bool categorical = classes is not null || raster.Bands.All(b => b.Role == BandRole.Label);
        (bool integral, double min, double max) = ScanValues(raster);
        if (classes is not null && classes.Count > 0)
        {
            max = Math.Max(max, classes.Max(c => c.Id));
            min = Math.Min(min, classes.Min(c => c.Id));
        }

        GdalDataType type = requested switch
        {
            OutputDataType.Byte => GdalDataType.Byte,
            OutputDataType.UInt16 => GdalDataType.UInt16,
            OutputDataType.Int16 => GdalDataType.Int16,
            OutputDataType.Float32 => GdalDataType.Float32,
            _ when categorical && integral && min >= 0 && max <= 254 => GdalDataType.Byte,
            _ when categorical && integral && min >= 0 && max <= 65534 => GdalDataType.UInt16,
            _ => GdalDataType.Float32,
        };
        double noData = type switch
        {
            GdalDataType.Byte => 255,
            GdalDataType.UInt16 => 65535,
            GdalDataType.Int16 => short.MinValue,
            _ => double.NaN,
        };
        if (type != GdalDataType.Float32)
        {
            (double low, double high) = type switch
            {
                GdalDataType.Byte => (0.0, 254.0),
                GdalDataType.UInt16 => (0.0, 65534.0),
                _ => (short.MinValue + 1.0, short.MaxValue),
            };
            if (!integral || min < low || max > high)
            {
                throw new ArgumentException(
                    $"The map's values ({min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}" +
                    $"{(integral ? string.Empty : ", not all integers")}) do not fit {type} (its nodata is {noData}); choose Float32 or a wider type.",
                    nameof(requested));
            }
        }

        IReadOnlyList<MapClass>? palette = classes;
        if (palette is null && categorical && raster.BandCount == 1 && type is GdalDataType.Byte or GdalDataType.UInt16 && integral)
        {
            palette = MapClass.Default(Math.Max(0, (int)max + 1));
        }

        return new Encoding(type, noData, categorical, palette);
    }

    /// <summary>Writes every band to a MEM dataset with geotransform, CRS, descriptions, units, nodata and palette.</summary>
    internal static GdalDataset Build(SphereRaster raster, Encoding encoding, IReadOnlyDictionary<string, string>? metadata)
    {
        RegularLayout layout = RegularLayout.For(raster.Grid);
        GdalDataset dataset = GdalDataset.CreateInMemory(layout.Width, layout.Height, raster.BandCount, encoding.DataType);
        try
        {
            dataset.SetGeoTransform(layout.GeoTransform);
            using (SpatialReference wgs84 = SpatialReference.Wgs84())
            {
                dataset.SetSpatialReference(wgs84);
            }

            for (int b = 0; b < raster.BandCount; b++)
            {
                RasterBandInfo info = raster.Bands[b];
                bool categorical = encoding.Categorical || info.Role == BandRole.Label;
                (float[] values, _) = layout.Resample(raster, b, categorical, (float)encoding.NoData);
                GdalBand band = dataset.GetBand(b + 1);
                band.NoDataValue = encoding.NoData;
                band.Write<float>(values, 0, 0, layout.Width, layout.Height);
                band.Description = info.Name;
                if (!string.IsNullOrEmpty(info.Unit))
                {
                    band.Unit = info.Unit;
                }

                if (encoding.Classes is not null && raster.BandCount == 1)
                {
                    ApplyClasses(band, encoding.Classes, encoding.DataType);
                }
                else if (info.Role == BandRole.Label && (encoding.Classes ?? LabelClasses(raster, b)) is { } labels)
                {
                    // A TIFF has one palette for the whole image, so label bands among others get names and an
                    // attribute table but no colour table.
                    ApplyClassNames(band, labels);
                }
            }

            WriteMetadata(dataset, raster, layout, metadata);
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Colour table, category names (entry i describes value i; ids without a class are black and unnamed) and a thematic
    /// raster attribute table with one row per class, so GIS software shows the class names as the legend.
    /// </summary>
    internal static void ApplyClasses(GdalBand band, IReadOnlyList<MapClass> classes, GdalDataType type)
    {
        if (classes.Count == 0 || type is not (GdalDataType.Byte or GdalDataType.UInt16))
        {
            return;
        }

        int size = classes.Max(c => c.Id) + 1;
        ColorEntry[] colours = new ColorEntry[size];
        foreach (MapClass item in classes)
        {
            colours[item.Id] = new ColorEntry(item.Red, item.Green, item.Blue);
        }

        band.SetColorTable(colours);
        ApplyClassNames(band, classes);
    }

    /// <summary>Category names (entry i names value i) and a thematic attribute table with one row per class.</summary>
    private static void ApplyClassNames(GdalBand band, IReadOnlyList<MapClass> classes)
    {
        if (classes.Count == 0)
        {
            return;
        }

        string[] names = new string[classes.Max(c => c.Id) + 1];
        Array.Fill(names, string.Empty);
        foreach (MapClass item in classes)
        {
            names[item.Id] = item.Name;
        }

        band.SetCategoryNames(names);
        band.SetClassAttributeTable(classes.OrderBy(c => c.Id).Select(c => new RasterClassRow(c.Id, c.Name, new ColorEntry(c.Red, c.Green, c.Blue))).ToArray());
    }

    /// <summary>Default classes 0..max of a label band holding non-negative integer ids (at most 65535 of them), else null.</summary>
    private static IReadOnlyList<MapClass>? LabelClasses(SphereRaster raster, int band)
    {
        ReadOnlySpan<float> values = raster.Band(band);
        float max = -1;
        for (int k = 0; k < values.Length; k++)
        {
            if (!raster.Valid[k])
            {
                continue;
            }

            float value = values[k];
            if (!float.IsFinite(value) || value < 0 || value != MathF.Round(value) || value > 65534)
            {
                return null;
            }

            max = Math.Max(max, value);
        }

        return max < 0 ? null : MapClass.Default((int)max + 1);
    }

    private static void WriteMetadata(GdalDataset dataset, SphereRaster raster, RegularLayout layout, IReadOnlyDictionary<string, string>? metadata)
    {
        dataset.SetMetadataItem("DISCO_GRID", raster.Grid.ToString());
        dataset.SetMetadataItem("DISCO_LAYOUT", layout.Description);
        if (raster.Provenance is { } provenance)
        {
            dataset.SetMetadataItem("DISCO_SOURCE", string.Join(";", provenance.Sources));
            if (provenance.SourceCrs is not null)
            {
                dataset.SetMetadataItem("DISCO_SOURCE_CRS", provenance.SourceCrs);
            }
        }

        if (metadata is not null)
        {
            foreach ((string key, string value) in metadata)
            {
                dataset.SetMetadataItem(key, value);
            }
        }
    }

    private static (bool Integral, double Min, double Max) ScanValues(SphereRaster raster)
    {
        bool integral = true;
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        int nodes = (int)raster.Grid.NodeCount;
        for (int b = 0; b < raster.BandCount; b++)
        {
            ReadOnlySpan<float> values = raster.Band(b);
            for (int k = 0; k < nodes; k++)
            {
                if (!raster.Valid[k])
                {
                    continue;
                }

                float value = values[k];
                if (!float.IsFinite(value) || value != MathF.Round(value))
                {
                    integral = false;
                }

                min = Math.Min(min, value);
                max = Math.Max(max, value);
            }
        }

        return double.IsInfinity(min) ? (true, 0, 0) : (integral, min, max);
    }
}
