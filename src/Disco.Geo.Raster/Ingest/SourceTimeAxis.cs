using System.Globalization;
using Disco.Geo.Gdal;

namespace Disco.Geo.Raster.Ingest;

/// <summary>
/// The time axis of a raster whose bands are time steps: a CF-NetCDF variable with a time dimension, as GDAL's netCDF
/// driver exposes it (one band per step, the step's raw coordinate in the band metadata NETCDF_DIM_&lt;dim&gt;, the
/// units and calendar as &lt;dim&gt;#units and &lt;dim&gt;#calendar), or a GeoTIFF stack whose bands carry a TIME or
/// DATETIME metadata item (ISO 8601).
/// </summary>
/// <param name="Dimension">The name of the time dimension ("time", "TIME"), or "bands" for a GeoTIFF stack.</param>
/// <param name="Units">The CF units ("days since 1970-01-01"), or "ISO 8601" for a GeoTIFF stack.</param>
/// <param name="Calendar">The CF calendar ("standard", "noleap", "360_day", …).</param>
/// <param name="Steps">The timestamp of every step (UTC), ascending.</param>
/// <param name="BandsByStep">The 1-based source bands of every step, in band order.</param>
/// <param name="Note">How the timestamps were read when it is not plain (a year-0 climatology), or null.</param>
public sealed record SourceTimeAxis(string Dimension, string Units, string Calendar, IReadOnlyList<DateTime> Steps,
    IReadOnlyList<IReadOnlyList<int>> BandsByStep, string? Note)
{
    /// <summary>Bands per time step.</summary>
    public int BandsPerStep => BandsByStep.Count == 0 ? 0 : BandsByStep[0].Count;

    /// <summary>True when both axes have the same steps.</summary>
    public bool SameStepsAs(SourceTimeAxis other) => other is not null && Steps.SequenceEqual(other.Steps);

    /// <summary>
    /// The axis of an opened raster, or null when its bands are not time steps (no time dimension, or one step only:
    /// a single step is an ordinary raster).
    /// </summary>
    /// <exception cref="IngestInputException">The raster has a time dimension whose units or calendar cannot be read.</exception>
    public static SourceTimeAxis? Read(GdalDataset dataset, string subject)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        int bands = dataset.BandCount;
        if (bands < 2)
        {
            return null;
        }

        string? dimension = TimeDimension(dataset);
        return dimension is null ? ReadStack(dataset, subject) : ReadCf(dataset, dimension, subject);
    }

    /// <summary>The extra dimension of a NetCDF variable that is time: named time (any case) or with units "… since …".</summary>
    private static string? TimeDimension(GdalDataset dataset)
    {
        string? extra = dataset.GetMetadataItem("NETCDF_DIM_EXTRA");
        if (extra is null)
        {
            return null;
        }

        string[] dimensions = extra.Trim('{', '}').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return dimensions.FirstOrDefault(d => string.Equals(d, "time", StringComparison.OrdinalIgnoreCase))
            ?? dimensions.FirstOrDefault(d => dataset.GetMetadataItem($"{d}#units")?.Contains(" since ", StringComparison.OrdinalIgnoreCase) == true);
    }

    private static SourceTimeAxis? ReadCf(GdalDataset dataset, string dimension, string subject)
    {
        string units = dataset.GetMetadataItem($"{dimension}#units")
            ?? throw new IngestInputException($"{subject} has a time dimension '{dimension}' without units; CF-NetCDF needs units such as \"days since 1970-01-01\".");
        string calendar = dataset.GetMetadataItem($"{dimension}#calendar") ?? "standard";
        var byValue = new SortedDictionary<double, List<int>>();
        for (int b = 1; b <= dataset.BandCount; b++)
        {
            string? raw = dataset.GetBand(b).GetMetadataItem($"NETCDF_DIM_{dimension}");
            if (raw is null || !double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new IngestInputException($"{subject}: band {b} has no coordinate on the time dimension '{dimension}'.");
            }

            if (!byValue.TryGetValue(value, out List<int>? list))
            {
                byValue[value] = list = [];
            }

            list.Add(b);
        }

        if (byValue.Count < 2)
        {
            return null;
        }

        int perStep = byValue.Values.First().Count;
        if (byValue.Values.Any(l => l.Count != perStep))
        {
            throw new IngestInputException($"{subject}: the time steps of '{dimension}' have different numbers of bands; every step needs the same bands.");
        }

        var steps = new List<DateTime>();
        string? note = null;
        foreach (double value in byValue.Keys)
        {
            (DateTime time, string? why) = CfTime.Decode(value, units, calendar, subject);
            steps.Add(time);
            note ??= why;
        }

        return new SourceTimeAxis(dimension, units, calendar, steps, [.. byValue.Values], note);
    }

    /// <summary>A GeoTIFF stack: every band has a TIME or DATETIME metadata item, all different.</summary>
    private static SourceTimeAxis? ReadStack(GdalDataset dataset, string subject)
    {
        var steps = new List<(DateTime Time, int Band)>();
        for (int b = 1; b <= dataset.BandCount; b++)
        {
            GdalBand band = dataset.GetBand(b);
            string? raw = band.GetMetadataItem("TIME") ?? band.GetMetadataItem("DATETIME");
            if (raw is null)
            {
                return null;
            }

            if (!DateTime.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime time))
            {
                throw new IngestInputException($"{subject}: band {b} has the time '{raw}', which is not an ISO 8601 date and time.");
            }

            steps.Add((time, b));
        }

        if (steps.Select(s => s.Time).Distinct().Count() != steps.Count)
        {
            throw new IngestInputException($"{subject}: two bands carry the same time; every band of a time stack is one step.");
        }

        steps.Sort((a, b) => a.Time.CompareTo(b.Time));
        return new SourceTimeAxis("bands", "ISO 8601", "standard", [.. steps.Select(s => s.Time)], [.. steps.Select(s => (IReadOnlyList<int>)[s.Band])], null);
    }
}

/// <summary>CF time coordinates ("&lt;unit&gt; since &lt;origin&gt;" with a calendar) to UTC timestamps.</summary>
public static class CfTime
{
    /// <summary>
    /// The timestamp of a CF time coordinate. Calendars: standard, gregorian and proleptic_gregorian (read as proleptic
    /// Gregorian), julian, noleap/365_day, all_leap/366_day and 360_day (their dates are mapped field by field onto the
    /// Gregorian calendar; a 30 February becomes 28 or 29 February). Units: seconds, minutes, hours, days (and their
    /// abbreviations); "months" and "years" are refused because CF leaves their length undefined.
    /// </summary>
    /// <remarks>
    /// Climatologies put their origin at year 0, which the Gregorian calendar (and protobuf's Timestamp) lacks: a date in
    /// year 0 is read as the same month and day of year 1, and the note says so.
    /// </remarks>
    /// <param name="value">The coordinate.</param>
    /// <param name="units">The CF units.</param>
    /// <param name="calendar">The CF calendar.</param>
    /// <param name="subject">How messages name the source.</param>
    /// <exception cref="IngestInputException">Units or calendar not understood.</exception>
    public static (DateTime Time, string? Note) Decode(double value, string units, string calendar, string subject)
    {
        ArgumentNullException.ThrowIfNull(units);
        ArgumentNullException.ThrowIfNull(calendar);
        int since = units.IndexOf(" since ", StringComparison.OrdinalIgnoreCase);
        if (since < 0)
        {
            throw new IngestInputException($"{subject}: the time units '{units}' are not of the form \"<unit> since <origin>\".");
        }

        string unit = units[..since].Trim().ToLowerInvariant();
        double seconds = unit switch
        {
            "second" or "seconds" or "sec" or "secs" or "s" => 1,
            "minute" or "minutes" or "min" or "mins" => 60,
            "hour" or "hours" or "hr" or "hrs" or "h" => 3600,
            "day" or "days" or "d" => 86400,
            _ => throw new IngestInputException(
                $"{subject}: the time unit '{unit}' is not supported; CF time stacks need seconds, minutes, hours or days since an origin (months and years have no fixed length)."),
        };
        Civil origin = Civil.Parse(units[(since + 7)..].Trim(), subject);
        double total = value * seconds;
        if (!double.IsFinite(total))
        {
            throw new IngestInputException($"{subject}: the time coordinate {value} is not a number.");
        }

        long wholeDays = (long)Math.Floor(total / 86400);
        double rest = total - (wholeDays * 86400.0);
        Calendar kind = CalendarOf(calendar, subject);
        (int year, int month, int day) = kind.AddDays(origin.Year, origin.Month, origin.Day, wholeDays + (long)Math.Floor((origin.Seconds + rest) / 86400));
        double secondsOfDay = (origin.Seconds + rest) % 86400;
        string? note = null;
        if (year == 0)
        {
            year = 1;
            note = "the time axis counts from year 0 (a climatology); its dates are read as the same month and day of year 1";
        }

        if (year < 1 || year > 9999)
        {
            throw new IngestInputException($"{subject}: the time coordinate {value} ({units}) falls in year {year}, outside 1..9999.");
        }

        day = Math.Min(day, DateTime.DaysInMonth(year, month));
        DateTime time = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc).AddSeconds(Math.Round(secondsOfDay, 3));
        return (time, note);
    }

    private static Calendar CalendarOf(string calendar, string subject) => calendar.Trim().ToLowerInvariant() switch
    {
        "standard" or "gregorian" or "proleptic_gregorian" or "" => new Calendar(y => IsGregorianLeap(y) ? 366 : 365, (y, m) => GregorianMonth(y, m)),
        "julian" => new Calendar(y => y % 4 == 0 ? 366 : 365, (y, m) => m == 2 ? (y % 4 == 0 ? 29 : 28) : GregorianMonth(2001, m)),
        "noleap" or "365_day" => new Calendar(_ => 365, (_, m) => GregorianMonth(2001, m)),
        "all_leap" or "366_day" => new Calendar(_ => 366, (_, m) => GregorianMonth(2000, m)),
        "360_day" => new Calendar(_ => 360, (_, _) => 30),
        _ => throw new IngestInputException($"{subject}: the time calendar '{calendar}' is not supported (standard, gregorian, proleptic_gregorian, julian, noleap, 365_day, all_leap, 366_day, 360_day)."),
    };

    private static bool IsGregorianLeap(int year) => (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    private static int GregorianMonth(int year, int month) => month == 2 ? (IsGregorianLeap(year) ? 29 : 28) : (month is 4 or 6 or 9 or 11 ? 30 : 31);

    /// <summary>Day arithmetic in a calendar given by its year and month lengths (year 0 included, as CF allows).</summary>
    private sealed class Calendar(Func<int, int> yearDays, Func<int, int, int> monthDays)
    {
        public (int Year, int Month, int Day) AddDays(int year, int month, int day, long days)
        {
            // Day of year (0-based) of the origin, then whole years, then months: loops stay short for real axes.
            long d = day - 1 + days;
            for (int m = 1; m < month; m++)
            {
                d += monthDays(year, m);
            }

            while (d < 0)
            {
                year--;
                d += yearDays(year);
            }

            while (d >= yearDays(year))
            {
                d -= yearDays(year);
                year++;
            }

            int mo = 1;
            while (d >= monthDays(year, mo))
            {
                d -= monthDays(year, mo);
                mo++;
            }

            return (year, mo, (int)d + 1);
        }
    }

    /// <summary>A CF origin "YYYY-MM-DD[ hh:mm:ss[.f]][Z|UTC]" (years may be 0 or unpadded).</summary>
    private readonly record struct Civil(int Year, int Month, int Day, double Seconds)
    {
        public static Civil Parse(string text, string subject)
        {
            string[] parts = text.Replace('T', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] date = parts.Length > 0 ? parts[0].Split('-') : [];
            if (date.Length != 3 || !int.TryParse(date[0], CultureInfo.InvariantCulture, out int year) || !int.TryParse(date[1], CultureInfo.InvariantCulture, out int month)
                || !int.TryParse(date[2], CultureInfo.InvariantCulture, out int day) || month is < 1 or > 12 || day is < 1 or > 31)
            {
                throw new IngestInputException($"{subject}: the time origin '{text}' is not a date (YYYY-MM-DD).");
            }

            double seconds = 0;
            if (parts.Length > 1 && parts[1] is not ("Z" or "UTC"))
            {
                string[] clock = parts[1].TrimEnd('Z').Split(':');
                double[] fields = new double[3];
                for (int i = 0; i < Math.Min(3, clock.Length); i++)
                {
                    if (!double.TryParse(clock[i], NumberStyles.Float, CultureInfo.InvariantCulture, out fields[i]))
                    {
                        throw new IngestInputException($"{subject}: the time origin '{text}' has an unreadable time of day.");
                    }
                }

                seconds = (fields[0] * 3600) + (fields[1] * 60) + fields[2];
            }

            return new Civil(year, month, day, seconds);
        }
    }
}
