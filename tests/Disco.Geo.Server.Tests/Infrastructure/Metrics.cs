using System.Globalization;

namespace Disco.Geo.Server.Tests.Infrastructure;

internal static class Metrics
{
    /// <summary>The value of a sample line "name{labels} value" or "name value" in Prometheus text.</summary>
    public static double Value(string text, string series)
    {
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }
}
