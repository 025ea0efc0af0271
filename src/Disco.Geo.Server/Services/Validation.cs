using System.Text.RegularExpressions;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Problems;

namespace Disco.Geo.Server.Services;

/// <summary>Checks shared by the services: names, hashes, grids and upload sizes. Each failure names the field.</summary>
internal static partial class Validation
{
    public const string NameRule = "1-128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public static bool IsValidSha256(string sha256) => Sha256Pattern().IsMatch(sha256);

    public static void AddNameViolation(List<(string, string)> violations, string field, string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            violations.Add((field, "is required: " + NameRule + "."));
        }
        else if (!IsValidName(name))
        {
            violations.Add((field, $"'{ClientText.Shorten(name)}' is not a valid name: use {NameRule}."));
        }
    }

    public static void AddSha256Violation(List<(string, string)> violations, string field, string sha256)
    {
        if (!IsValidSha256(sha256))
        {
            violations.Add((field, "must be the file's SHA-256 as 64 lower-case hex digits (e.g. the output of sha256sum)."));
        }
    }

    public static void AddGridViolations(List<(string, string)> violations, string field, Grid? grid, LimitsOptions limits)
    {
        if (grid is null)
        {
            violations.Add((field, "is required: a grid kind with nlat and nlon, e.g. equiangular 181 x 360."));
            return;
        }

        if (grid.Kind == GridKind.Unspecified || !System.Enum.IsDefined(grid.Kind))
        {
            violations.Add((field + ".kind", "must be one of equiangular, legendre-gauss, lobatto, equiangular-trapezoidal, equirectangular."));
        }

        if (grid.Nlat < 2 || grid.Nlat > limits.MaxRasterDimension)
        {
            violations.Add((field + ".nlat", $"must be between 2 and {limits.MaxRasterDimension}; got {grid.Nlat}."));
        }

        if (grid.Nlon < 2 || grid.Nlon > limits.MaxRasterDimension)
        {
            violations.Add((field + ".nlon", $"must be between 2 and {limits.MaxRasterDimension}; got {grid.Nlon}."));
        }
        else if ((long)grid.Nlat * grid.Nlon > limits.MaxRasterPixels)
        {
            violations.Add((field, $"has {(long)grid.Nlat * grid.Nlon} nodes; the server accepts at most {limits.MaxRasterPixels} (Limits:MaxRasterPixels)."));
        }

        if (!double.IsFinite(grid.LonOriginDegrees) || Math.Abs(grid.LonOriginDegrees) > 360)
        {
            violations.Add((field + ".lon_origin_degrees", "must be a finite longitude between -360 and 360."));
        }
    }

    /// <summary>OUT_OF_RANGE for an upload or model import larger than Limits:MaxUploadBytes.</summary>
    public static void ThrowIfOverUploadLimit(string field, long sizeBytes, LimitsOptions limits)
    {
        if (sizeBytes > limits.MaxUploadBytes)
        {
            throw Problem.OutOfRange(field, $"{sizeBytes} bytes exceeds the server's upload limit of {limits.MaxUploadBytes} bytes (Limits:MaxUploadBytes).");
        }
    }

    public static void ThrowIfAny(List<(string Field, string Description)> violations)
    {
        if (violations.Count > 0)
        {
            throw Problem.InvalidArgument(violations);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha256Pattern();
}
