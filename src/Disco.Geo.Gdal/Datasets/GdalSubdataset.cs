namespace Disco.Geo.Gdal;

/// <summary>
/// One variable of a NetCDF or HDF5 container as GDAL names it: <c>NETCDF:"file.nc":var</c> or
/// <c>HDF5:"file.h5"://group/var</c>. Parsed so that the file inside can be checked like any other file, and so that a
/// variable can be matched by name whatever form (leading slashes, quoting) either side used.
/// </summary>
/// <param name="Prefix">The connection prefix ("NETCDF" or "HDF5"), upper case.</param>
/// <param name="File">The container file.</param>
/// <param name="Variable">The variable as written after the file (for HDF5 a path such as "//group/var").</param>
public sealed record GdalSubdataset(string Prefix, string File, string Variable)
{
    /// <summary>The connection prefixes understood, with the GDAL driver that opens each.</summary>
    private static readonly (string Prefix, string Driver)[] Prefixes = [("NETCDF", "netCDF"), ("HDF5", "HDF5")];

    /// <summary>The variable without leading slashes: "var", "group/var".</summary>
    public string VariableName => Variable.TrimStart('/');

    /// <summary>The GDAL driver that opens this connection string.</summary>
    public string Driver => Prefixes.First(p => p.Prefix == Prefix).Driver;

    /// <summary>The connection string GDAL opens.</summary>
    public string ConnectionString => Prefix == "HDF5" ? $"HDF5:\"{File}\"://{VariableName}" : $"NETCDF:\"{File}\":{Variable}";

    /// <summary>True when <paramref name="variable"/> names this one ("salinity", "/salinity" and "//salinity" alike).</summary>
    public bool Names(string variable) => string.Equals(VariableName, variable.TrimStart('/'), StringComparison.Ordinal);

    /// <summary>
    /// Parses <c>NETCDF:"file":var</c> or <c>HDF5:"file"://path</c> (the prefix in any case; the file quoted, or
    /// unquoted when the variable follows the last colon). Anything else (a plain path, /vsi…/, other drivers'
    /// connection strings) is not a subdataset.
    /// </summary>
    /// <param name="text">The string to parse.</param>
    /// <param name="subdataset">The parsed subdataset.</param>
    /// <returns>True when <paramref name="text"/> is a NetCDF or HDF5 subdataset with a non-empty file and variable.</returns>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out GdalSubdataset? subdataset)
    {
        subdataset = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach ((string prefix, _) in Prefixes)
        {
            if (!text.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string rest = text[(prefix.Length + 1)..];
            string file;
            string variable;
            if (rest.StartsWith('"'))
            {
                int close = rest.IndexOf('"', 1);
                if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
                {
                    return false;
                }

                file = rest[1..close];
                variable = rest[(close + 2)..];
            }
            else
            {
                // Unquoted: the variable follows the last colon that is not part of HDF5's "://".
                int colon = rest.IndexOf("://", StringComparison.Ordinal) is int slashes and >= 0 ? slashes : rest.LastIndexOf(':');
                if (colon <= 0)
                {
                    return false;
                }

                file = rest[..colon];
                variable = rest[(colon + 1)..];
            }

            if (file.Length == 0 || variable.Trim('/').Length == 0 || variable.Contains('"', StringComparison.Ordinal))
            {
                return false;
            }

            subdataset = new GdalSubdataset(prefix, file, variable);
            return true;
        }

        return false;
    }
}
