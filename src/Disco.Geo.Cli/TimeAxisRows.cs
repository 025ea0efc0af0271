using System.Globalization;
using Google.Protobuf.WellKnownTypes;

namespace Disco.Geo.Cli;

/// <summary>
/// The time axis of a time-stack dataset as FIELD/VALUE rows for `disco datasets show`: how many steps, the first and
/// the last, and the step (one value when the steps are evenly spaced, else the shortest and longest gap).
/// </summary>
internal static class TimeAxisRows
{
    public static IEnumerable<string[]> From(IReadOnlyList<Timestamp> steps)
    {
        if (steps.Count == 0)
        {
            return [];
        }

        DateTime[] times = [.. steps.Select(s => s.ToDateTime())];
        var rows = new List<string[]>
        {
            new[] { "time steps", times.Length.ToString(CultureInfo.InvariantCulture) },
            new[] { "time first", Iso(times[0]) },
            new[] { "time last", Iso(times[^1]) },
        };
        if (times.Length > 1)
        {
            TimeSpan[] gaps = [.. times.Zip(times.Skip(1), (a, b) => b - a)];
            TimeSpan shortest = gaps.Min(), longest = gaps.Max();
            rows.Add(["time step", shortest == longest ? Span(shortest) : $"{Span(shortest)} .. {Span(longest)} (uneven)"]);
        }

        return rows;
    }

    /// <summary>"2020-01-16T06:00:00Z".</summary>
    public static string Iso(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A gap in days (and hours when not whole days): "30 days", "30.44 days", "6 hours".</summary>
    public static string Span(TimeSpan span) => span.TotalDays >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalDays, 2)} days")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalHours, 2)} hours");
}
