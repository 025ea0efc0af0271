using System.Globalization;
using Disco.Geo.Grids;
using Disco.Geo.Protos.V1;

namespace Disco.Geo.Cli;

/// <summary>Parses the compact flag syntaxes: grids, bands and enum names.</summary>
internal static class Parsing
{
    /// <summary>"equiangular:181x360" or "equiangular:181x360:-180".</summary>
    public static Grid Grid(string text)
    {
        string[] parts = text.Split(':');
        string[] size = parts.Length >= 2 ? parts[1].Split('x', 'X') : [];
        if (parts.Length is < 2 or > 3 || size.Length != 2
            || !int.TryParse(size[0], NumberStyles.None, CultureInfo.InvariantCulture, out int nlat)
            || !int.TryParse(size[1], NumberStyles.None, CultureInfo.InvariantCulture, out int nlon))
        {
            throw new UsageException($"--grid '{text}' is not KIND:NLATxNLON[:LON0], e.g. equiangular:181x360.");
        }

        if (!GridKindNames.TryParse(parts[0], out Grids.GridKind gridKind))
        {
            throw new UsageException($"Unknown grid kind '{parts[0]}': use {string.Join(", ", GridKindNames.All)}.");
        }

        double origin = 0;
        if (parts.Length == 3 && !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out origin))
        {
            throw new UsageException($"--grid '{text}': '{parts[2]}' is not a longitude.");
        }

        return new Grid { Kind = ApiGridKinds.From(gridKind), Nlat = nlat, Nlon = nlon, LonOriginDegrees = origin };
    }

    /// <summary>
    /// "[SOURCE.]BAND:ROLE[:RESAMPLING[:NAME[:SCALE[:OFFSET]]]]", e.g. "1:input:bilinear:red", "1.1:label:mode:land" for
    /// band 1 of the first --extra source, or "1:input::temp:0.01:-273.15" (empty fields take their defaults).
    /// </summary>
    public static BandSpec Band(string text)
    {
        const string Syntax = "[SOURCE.]BAND:ROLE[:RESAMPLING[:NAME[:SCALE[:OFFSET]]]] with a 1-based band number, e.g. 1:input:bilinear:red, 1.1:label:mode:land or 1:input::temp:0.01:-273.15";
        string[] parts = text.Split(':');
        string[] position = parts[0].Split('.');
        int source = 0;
        if (parts.Length is < 2 or > 6 || position.Length > 2
            || !int.TryParse(position[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index < 1
            || (position.Length == 2 && !int.TryParse(position[0], NumberStyles.None, CultureInfo.InvariantCulture, out source)))
        {
            throw new UsageException($"--band '{text}' is not {Syntax}.");
        }

        double Number(int part, string what)
        {
            if (parts.Length <= part || parts[part].Length == 0)
            {
                return 0;
            }

            return double.TryParse(parts[part], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
                ? value
                : throw new UsageException($"--band '{text}': {what} '{parts[part]}' is not a number.");
        }

        return new BandSpec
        {
            SourceIndex = source,
            SourceBand = index,
            Role = Enum<BandRole>("role", parts[1]),
            Resampling = parts.Length > 2 && parts[2].Length > 0 ? Enum<Resampling>("resampling", parts[2]) : Resampling.Unspecified,
            Name = parts.Length > 3 ? parts[3] : "",
            Scale = Number(4, "scale"),
            Offset = Number(5, "offset"),
        };
    }

    /// <summary>
    /// "[N@]VALUE=CLASS,…", e.g. "0=0,255=1": the value map of a label band; N is the 1-based position of the --band it
    /// belongs to, needed only when several bands are labels.
    /// </summary>
    public static void ApplyLabelMap(string text, IList<BandSpec> bands)
    {
        const string Syntax = "[N@]VALUE=CLASS,… with whole numbers, e.g. 0=0,255=1 (N = position of the --band, when several are labels)";
        string entries = text;
        BandSpec target;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!int.TryParse(text[..at], NumberStyles.None, CultureInfo.InvariantCulture, out int position) || position < 1 || position > bands.Count)
            {
                throw new UsageException($"--label-map '{text}': '{text[..at]}' is not the position of a --band (1..{bands.Count}).");
            }

            target = bands[position - 1];
            entries = text[(at + 1)..];
        }
        else
        {
            List<BandSpec> labels = bands.Where(b => b.Role == BandRole.Label).ToList();
            target = labels.Count == 1
                ? labels[0]
                : throw new UsageException(labels.Count == 0
                    ? "--label-map needs a label band: add --band BAND:label."
                    : $"--label-map '{text}': {labels.Count} bands are labels; say which with N@…, N being the position of its --band.");
        }

        foreach (string entry in entries.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] pair = entry.Split('=');
            if (pair.Length != 2
                || !long.TryParse(pair[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
            {
                throw new UsageException($"--label-map '{text}': '{entry}' is not VALUE=CLASS; use {Syntax}.");
            }

            target.LabelMap[value] = id;
        }

        if (target.LabelMap.Count == 0)
        {
            throw new UsageException($"--label-map '{text}' maps nothing; use {Syntax}.");
        }
    }

    /// <summary>"WxH", e.g. "1440x720": an export's output size in pixels (both 1..65535; the server checks the rest).</summary>
    public static (int Width, int Height) Size(string flag, string text)
    {
        string[] parts = text.Split('x', 'X');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int width)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int height)
            || width is < 1 or > 65535 || height is < 1 or > 65535)
        {
            throw new UsageException($"{flag} '{text}' is not WIDTHxHEIGHT in pixels (each 1..65535), e.g. 1440x720.");
        }

        return (width, height);
    }

    /// <summary>
    /// Parses "W,S,E,N" (degrees, EPSG:4326, outer edges) for an image without georeferencing. Checks what the server
    /// checks so that a typo fails before an upload: finite, −90 ≤ S &lt; N ≤ 90, W &lt; E (east beyond 180 to cross
    /// the antimeridian).
    /// </summary>
    public static GeographicBounds Bounds(string flag, string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[4];
        if (parts.Length != 4 || !parts.Select((part, i) => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok)
            || !values.All(double.IsFinite))
        {
            throw new UsageException($"{flag} '{text}' is not WEST,SOUTH,EAST,NORTH in degrees, e.g. {flag} 0,0,90,45.");
        }

        var bounds = new GeographicBounds { West = values[0], South = values[1], East = values[2], North = values[3] };
        if (bounds.South < -90 || bounds.North > 90 || bounds.South >= bounds.North)
        {
            throw new UsageException($"{flag} '{text}': latitudes must satisfy -90 <= SOUTH < NORTH <= 90.");
        }

        if (bounds.West >= bounds.East || bounds.West < -360 || bounds.East > 360 || bounds.East - bounds.West > 360)
        {
            throw new UsageException($"{flag} '{text}': longitudes must satisfy WEST < EAST within -360..360 and at most 360 apart; " +
                                     "to cross the antimeridian write EAST beyond 180, e.g. 170,-10,190,10.");
        }

        return bounds;
    }

    /// <summary>Parses "segmentation" into TrainingTask.Segmentation and the like (kebab or snake case).</summary>
    /// <summary>"START/END": two ISO 8601 timestamps (UTC unless they say otherwise), end exclusive.</summary>
    public static TimeRange TimeRange(string flag, string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length != 2 || !TryTime(parts[0], out DateTime start) || !TryTime(parts[1], out DateTime end))
        {
            throw new UsageException($"{flag} '{text}' is not START/END with two ISO 8601 times (e.g. 2020-01-01/2020-10-01; end exclusive).");
        }

        return new TimeRange { Start = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(start), End = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(end) };
    }

    private static bool TryTime(string text, out DateTime time) => DateTime.TryParse(
        text.Trim(), System.Globalization.CultureInfo.InvariantCulture,
        System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out time);

    public static T Enum<T>(string flag, string text)
        where T : struct, Enum
    {
        string normalized = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        foreach (T value in System.Enum.GetValues<T>())
        {
            string name = value.ToString();
            if (!name.Equals("Unspecified", StringComparison.Ordinal) && name.Equals(normalized, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        string choices = string.Join(", ", System.Enum.GetValues<T>().Select(v => v.ToString()).Where(n => n != "Unspecified").Select(Kebab));
        throw new UsageException($"--{flag} '{text}' is not one of: {choices}.");
    }

    private static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
