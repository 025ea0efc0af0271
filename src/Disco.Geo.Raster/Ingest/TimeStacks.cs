using System.Globalization;
using System.Text.Json.Nodes;
using Disco.Geo.Grids;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// Ingest of time stacks: when a source's bands are time steps (<see cref="SourceTimeAxis"/>), a band spec names a
/// band of one step (1 for a NetCDF variable without other extra dimensions) and the ingest reads that band at every
/// step, so the dataset holds one sample per step. Sources without a time axis (a land mask, a DEM) are the same at
/// every step; sources with one must share it. All steps are read in one pass per source; the validity mask is
/// shared by the steps (a node is valid where every source has data at every step).
/// </summary>
internal static class TimeStacks
{
    /// <summary>The time axis of the sources, or null when none has one.</summary>
    public static SourceTimeAxis? AxisOf(IReadOnlyList<IngestSource> sources) => sources.Select(s => s.Time).FirstOrDefault(t => t is not null);

    /// <summary>Checks the specs against the time axes; returns the axis (or null when there is none).</summary>
    /// <exception cref="IngestInputException">Two sources with different axes, or a band beyond one step's bands.</exception>
    public static SourceTimeAxis? Check(IReadOnlyList<SourceBandSpec> specs, IReadOnlyList<IngestSource> sources)
    {
        SourceTimeAxis? axis = AxisOf(sources);
        if (axis is null)
        {
            return null;
        }

        IngestSource first = sources.First(s => s.Time is not null);
        foreach (IngestSource source in sources.Where(s => s.Time is not null && !s.Time.SameStepsAs(axis)))
        {
            throw new IngestInputException(
                $"{source.Subject} has {source.Time!.Steps.Count} time steps ({Describe(source.Time)}) but {first.Label} has {axis.Steps.Count} ({Describe(axis)}); " +
                "the sources of a time stack must share one time axis (or have none, and then hold for every step).",
                source.Index == 0 ? "dataset_id" : $"additional_sources[{source.Index - 1}]");
        }

        for (int i = 0; i < specs.Count; i++)
        {
            IngestSource source = sources[specs[i].SourceIndex];
            if (source.Time is { } time && specs[i].SourceBand > time.BandsPerStep)
            {
                throw new IngestInputException(
                    $"bands[{i}].source_band {specs[i].SourceBand}: {source.Subject} is a time stack of {time.Steps.Count} steps with {time.BandsPerStep} band(s) each; " +
                    $"a band of a time stack names a band of one step (1..{time.BandsPerStep}), which is read at every step.",
                    $"bands[{i}].source_band");
            }
        }

        return axis;
    }

    /// <summary>The specs of every step, one step after the other; bands of time sources point at that step's band.</summary>
    public static IReadOnlyList<SourceBandSpec> Expand(MultiSourcePlan plan, SourceTimeAxis axis)
    {
        var expanded = new List<SourceBandSpec>(plan.Bands.Count * axis.Steps.Count);
        for (int step = 0; step < axis.Steps.Count; step++)
        {
            foreach (SourceBandSpec spec in plan.Bands)
            {
                IngestSource source = plan.Sources[spec.SourceIndex];
                string name = spec.Name.Length > 0 ? spec.Name : BaseName(source, spec.SourceBand);

                // Unique per step so that the assembly keeps every step; Collapse takes the suffix off again.
                expanded.Add(spec with
                {
                    SourceBand = source.Time is { } time ? time.BandsByStep[step][spec.SourceBand - 1] : spec.SourceBand,
                    Name = Suffixed(name, step),
                });
            }
        }

        return expanded;
    }

    /// <summary>The assembled steps as one dataset: bands of one step, the axis, and the axis in the provenance.</summary>
    public static AssembledIngest Collapse(AssembledIngest assembled, SourceTimeAxis axis, SphereGrid grid)
    {
        int steps = axis.Steps.Count;
        int perStep = assembled.Bands.Count / steps;
        if (perStep * steps != assembled.Bands.Count || assembled.Values.LongLength != (long)assembled.Bands.Count * grid.NodeCount)
        {
            throw new InvalidOperationException($"{assembled.Bands.Count} assembled bands are not {steps} steps of equal bands.");
        }

        string suffix = Suffixed("", 0);
        AssembledBand[] bands = [.. assembled.Bands.Take(perStep).Select(b => b with
        {
            Name = b.Name.EndsWith(suffix, StringComparison.Ordinal) ? b.Name[..^suffix.Length] : b.Name,
            Description = b.Description + $"; one of {steps} time steps",
        })];
        JsonNode document = JsonNode.Parse(assembled.ProvenanceJson) ?? new JsonObject();
        if (document is JsonObject root)
        {
            // The provenance describes one step's bands, as the record does; the time axis says which bands were read per step.
            if (root["bands"] is JsonArray described)
            {
                JsonNode[] first = [.. described.OfType<JsonNode>().Where(b => b["name"]?.GetValue<string>().EndsWith(suffix, StringComparison.Ordinal) == true)];
                described.Clear();
                foreach (JsonNode band in first)
                {
                    band["name"] = band["name"]!.GetValue<string>()[..^suffix.Length];
                    described.Add(band);
                }
            }

            foreach (JsonNode? source in root["sources"] as JsonArray ?? [])
            {
                if (source?["resampling"] is JsonObject kernels)
                {
                    var firstStep = new JsonObject();
                    foreach ((string name, JsonNode? kernel) in kernels)
                    {
                        if (name.EndsWith(suffix, StringComparison.Ordinal))
                        {
                            firstStep[name[..^suffix.Length]] = kernel?.DeepClone();
                        }
                    }

                    source["resampling"] = firstStep;
                }
            }

            root["time"] = new JsonObject
            {
                ["dimension"] = axis.Dimension,
                ["units"] = axis.Units,
                ["calendar"] = axis.Calendar,
                ["steps"] = steps,
                ["first"] = Iso(axis.Steps[0]),
                ["last"] = Iso(axis.Steps[^1]),
                ["note"] = axis.Note,
            };
        }

        return new AssembledIngest(assembled.Values, assembled.Mask, bands, document.ToJsonString()) { Time = axis };
    }

    /// <summary>A timestamp as ISO 8601 UTC, for provenance and messages.</summary>
    public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Describe(SourceTimeAxis axis) => $"{Iso(axis.Steps[0])} .. {Iso(axis.Steps[^1])}";

    private static string Suffixed(string name, int step) => $"{name}@t{step}";

    private static string BaseName(IngestSource source, int band) => source.Time switch
    {
        null => source.BandNames[band - 1],
        { BandsPerStep: 1 } when source.Variable is { } variable => variable,
        { } time => source.BandNames[time.BandsByStep[0][band - 1] - 1],
    };
}
