using System.Text.Json;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// Puts the per-source results of an ingest together: bands in request order with unique names, scale and offset
/// applied, mask bands folded into one validity mask (AND over every source), invalid nodes zeroed, and the
/// provenance of every source as JSON.
/// </summary>
internal static class IngestAssembly
{
    private static readonly JsonSerializerOptions Json = new();

    public static AssembledIngest Assemble(SphereGrid grid, IReadOnlyList<SourceBandSpec> specs, IReadOnlyList<IngestSource> sources, IReadOnlyList<SphereRaster?> read)
    {
        int nodes = (int)grid.NodeCount;
        bool[] valid = new bool[nodes];
        Array.Fill(valid, true);
        foreach (SphereRaster raster in read.OfType<SphereRaster>())
        {
            for (int k = 0; k < nodes; k++)
            {
                valid[k] &= raster.Valid[k];
            }
        }

        // Each reader returns one band per spec of its source, in spec order.
        int[] next = new int[sources.Count];
        var picked = new List<(SourceBandSpec Spec, SphereRaster Raster, int Band, AssembledBand Info)>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < specs.Count; i++)
        {
            SourceBandSpec spec = specs[i];
            IngestSource source = sources[spec.SourceIndex];
            SphereRaster raster = read[spec.SourceIndex] ?? throw new InvalidOperationException($"Source {spec.SourceIndex} was not read.");
            int band = next[spec.SourceIndex]++;
            BandRole role = MultiSourceIngestor.EffectiveRole(source, spec);
            if (role == BandRole.Mask)
            {
                ReadOnlySpan<float> values = raster.Band(band);
                for (int k = 0; k < nodes; k++)
                {
                    valid[k] &= values[k] > 0.5f;
                }

                continue;
            }

            RasterBandInfo info = raster.Bands[band];
            string name = info.Name;
            if (!names.Add(name))
            {
                if (spec.Name.Length > 0)
                {
                    throw new IngestInputException($"bands[{i}].name '{spec.Name}' is used by another band; give every band its own name.");
                }

                int suffix = 2;
                while (!names.Add($"{info.Name}_{suffix}"))
                {
                    suffix++;
                }

                name = $"{info.Name}_{suffix}";
            }

            picked.Add((spec, raster, band, new AssembledBand(name, role, info.Resampling, spec.SourceBand, Describe(source, spec, info))));
        }

        if (picked.Count == 0)
        {
            throw new IngestInputException("Every selected band has the mask role; select at least one input or label band to hold data.");
        }

        float[] data = new float[picked.Count * nodes];
        for (int b = 0; b < picked.Count; b++)
        {
            (SourceBandSpec spec, SphereRaster raster, int band, _) = picked[b];
            Span<float> target = data.AsSpan(b * nodes, nodes);
            raster.Band(band).CopyTo(target);
            if (spec.LabelMap.Count > 0)
            {
                ApplyLabelMap(spec, specs.ToList().IndexOf(spec), target, valid);
            }

            double scale = spec.Scale == 0 ? 1 : spec.Scale;
            for (int k = 0; k < nodes; k++)
            {
                target[k] = valid[k] ? (float)((target[k] * scale) + spec.Offset) : 0f;
            }
        }

        byte[]? mask = valid.All(v => v) ? null : valid.Select(v => v ? (byte)1 : (byte)0).ToArray();
        return new AssembledIngest(data, mask, picked.Select(p => p.Info).ToArray(), Provenance(grid, sources, read, picked));
    }

    /// <summary>
    /// Replaces a label band's source values by the class ids of its value map. A valid node whose value is not listed
    /// fails the ingest with the values found, so a map that forgets a value cannot silently turn it into a class.
    /// </summary>
    private static void ApplyLabelMap(SourceBandSpec spec, int index, Span<float> values, bool[] valid)
    {
        var missing = new SortedDictionary<double, long>();
        for (int k = 0; k < values.Length; k++)
        {
            if (!valid[k] || float.IsNaN(values[k]))
            {
                continue;
            }

            double value = values[k];
            double whole = Math.Round(value);
            if (whole == value && whole is >= long.MinValue and <= long.MaxValue && spec.LabelMap.TryGetValue((long)whole, out int id))
            {
                values[k] = id;
            }
            else
            {
                missing[value] = missing.GetValueOrDefault(value) + 1;
            }
        }

        if (missing.Count > 0)
        {
            string found = string.Join(", ", missing.Take(10).Select(m => FormattableString.Invariant($"{m.Key} ({m.Value} nodes)"))) + (missing.Count > 10 ? ", …" : "");
            string mapped = string.Join(",", spec.LabelMap.OrderBy(e => e.Key).Take(10).Select(e => FormattableString.Invariant($"{e.Key}={e.Value}")));
            throw new IngestInputException(
                $"bands[{index}].label_map ({mapped}) does not list the source values {found}; add them (CLI: --label-map VALUE=CLASS,…).",
                $"bands[{index}].label_map");
        }
    }

    private static string Describe(IngestSource source, SourceBandSpec spec, RasterBandInfo info)
    {
        var parts = new List<string>();
        if (source.Kind == IngestSourceKind.Vector)
        {
            parts.Add(VectorLayerBands.Describe(source, spec.SourceBand));
        }
        else if (!string.IsNullOrEmpty(info.Unit))
        {
            parts.Add(info.Unit);
        }

        if (spec.Scale is not (0 or 1) || spec.Offset != 0)
        {
            parts.Add(FormattableString.Invariant($"scaled by {(spec.Scale == 0 ? 1 : spec.Scale)}, offset {spec.Offset}"));
        }

        parts.Add($"from {source.Label} {source.Display}, band {spec.SourceBand}");
        return string.Join("; ", parts);
    }

    private static string Provenance(SphereGrid grid, IReadOnlyList<IngestSource> sources, IReadOnlyList<SphereRaster?> read,
        List<(SourceBandSpec Spec, SphereRaster Raster, int Band, AssembledBand Info)> picked)
    {
        var document = new Dictionary<string, object?>
        {
            ["grid"] = grid.ToString(),
            ["sources"] = sources.Select(source => SourceProvenance(source, read[source.Index]?.Provenance)).ToArray(),
            ["bands"] = picked.Select(p => new Dictionary<string, object?>
            {
                ["name"] = p.Info.Name,
                ["source"] = p.Spec.SourceIndex,
                ["sourceBand"] = p.Spec.SourceBand,
                ["role"] = p.Info.Role.ToString().ToLowerInvariant(),
                ["resampling"] = p.Info.Resampling is Resampling.Nearest or Resampling.Bilinear or Resampling.Cubic or Resampling.Average or Resampling.Mode
                    ? p.Info.Resampling.Value.ToString().ToLowerInvariant()
                    : "unspecified",
                ["scale"] = p.Spec.Scale == 0 ? 1 : p.Spec.Scale,
                ["offset"] = p.Spec.Offset,
                ["labelMap"] = p.Spec.LabelMap.Count == 0 ? null : p.Spec.LabelMap.OrderBy(e => e.Key).ToDictionary(e => e.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Value),
            }).ToArray(),
        };
        return JsonSerializer.Serialize(document, Json);
    }

    private static Dictionary<string, object?> SourceProvenance(IngestSource source, RasterProvenance? provenance)
    {
        var notes = new List<string>();
        if (source.Kind == IngestSourceKind.GlobalImage && source.AssignedBounds is { } placed)
        {
            notes.Add($"the file has no georeferencing; the request placed its {source.Size.Width}x{source.Size.Height} pixels as an EPSG:4326 " +
                      $"plate carrée over {placed} (west, south, east, north)");
        }
        else if (source.Kind == IngestSourceKind.GlobalImage)
        {
            notes.Add($"assumption: the file has no georeferencing and its {source.Size.Width}x{source.Size.Height} pixels are exactly 2:1, so it was taken " +
                      "as a global EPSG:4326 plate carrée image (west edge 180° W, north edge 90° N)");
        }

        notes.AddRange(provenance?.Notes ?? []);
        var entries = new Dictionary<string, object?>
        {
            ["index"] = source.Index,
            ["source"] = source.Index == 0 ? "main" : source.Label,
            ["kind"] = MultiSourceIngestor.KindName(source.Kind),
            ["paths"] = source.ProvenancePaths,
            ["variable"] = source.Variable,
            ["layer"] = source.LayerName,
            ["features"] = source.Kind == IngestSourceKind.Vector ? source.FeatureCount : null,
            ["driver"] = source.Kind == IngestSourceKind.Vector ? null : provenance?.Driver,
            ["crs"] = provenance?.SourceCrs,
            ["bounds"] = provenance?.SourceBounds?.ToString(),
            ["size"] = source.Kind == IngestSourceKind.Vector || provenance is null ? null : new[] { provenance.SourceSize.Width, provenance.SourceSize.Height },
            ["geotransform"] = source.Kind == IngestSourceKind.Vector ? null : provenance?.SourceGeoTransform,
            ["resampling"] = provenance?.Resampling,
            ["notes"] = notes,
        };
        return entries.Where(e => e.Value is not null).ToDictionary();
    }
}
