using System.Globalization;
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

        GridKind kind = parts[0].ToLowerInvariant() switch
        {
            "equiangular" => GridKind.Equiangular,
            "legendre-gauss" or "gauss" => GridKind.LegendreGauss,
            "lobatto" => GridKind.Lobatto,
            "equiangular-trapezoidal" or "trapezoidal" => GridKind.EquiangularTrapezoidal,
            "equirectangular" => GridKind.Equirectangular,
            _ => throw new UsageException($"Unknown grid kind '{parts[0]}': use equiangular, legendre-gauss, lobatto, equiangular-trapezoidal or equirectangular."),
        };
        double origin = 0;
        if (parts.Length == 3 && !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out origin))
        {
            throw new UsageException($"--grid '{text}': '{parts[2]}' is not a longitude.");
        }

        return new Grid { Kind = kind, Nlat = nlat, Nlon = nlon, LonOriginDegrees = origin };
    }

    /// <summary>
    /// "[SOURCE.]BAND:ROLE[:RESAMPLING[:NAME]]", e.g. "1:input:bilinear:red", or "1.1:label:mode:land" for band 1 of
    /// the first --extra source.
    /// </summary>
    public static BandSpec Band(string text)
    {
        string[] parts = text.Split(':');
        string[] position = parts[0].Split('.');
        int source = 0;
        if (parts.Length is < 2 or > 4 || position.Length > 2
            || !int.TryParse(position[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index < 1
            || (position.Length == 2 && !int.TryParse(position[0], NumberStyles.None, CultureInfo.InvariantCulture, out source)))
        {
            throw new UsageException($"--band '{text}' is not [SOURCE.]BAND:ROLE[:RESAMPLING[:NAME]] with a 1-based band number, e.g. 1:input:bilinear:red or 1.1:label:mode:land.");
        }

        return new BandSpec
        {
            SourceIndex = source,
            SourceBand = index,
            Role = Enum<BandRole>("role", parts[1]),
            Resampling = parts.Length > 2 ? Enum<Resampling>("resampling", parts[2]) : Resampling.Unspecified,
            Name = parts.Length > 3 ? parts[3] : "",
        };
    }

    /// <summary>Parses "segmentation" into TrainingTask.Segmentation and the like (kebab or snake case).</summary>
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
