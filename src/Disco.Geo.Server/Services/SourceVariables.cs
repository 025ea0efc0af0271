using Disco.Geo.Gdal;
using Disco.Geo.Server.Problems;

namespace Disco.Geo.Server.Services;

/// <summary>
/// The variable of a NetCDF or HDF5 ingest source, at the RPC: its spelling, and a server path written as GDAL names a
/// variable (<c>NETCDF:"/data/f.nc":salinity</c>) split into the file (resolved under the import roots like any path)
/// and the variable. Whether the file has that variable is checked when the source is opened, still before a job exists.
/// </summary>
internal static class SourceVariables
{
    private const int MaxLength = 256;

    /// <summary>Adds a violation when <paramref name="variable"/> cannot name a variable, or is given where none can be chosen.</summary>
    /// <param name="violations">Where violations go.</param>
    /// <param name="field">The variable's field.</param>
    /// <param name="variable">The requested variable; empty = none.</param>
    /// <param name="refusedWith">A source kind a variable cannot be chosen in (e.g. "tiles"), or null.</param>
    public static void AddViolations(List<(string, string)> violations, string field, string variable, string? refusedWith)
    {
        if (variable.Length == 0)
        {
            return;
        }

        if (refusedWith is not null)
        {
            violations.Add((field, $"cannot be used with {refusedWith}: a variable is chosen in a single NetCDF or HDF5 file."));
        }
        else if (variable.Length > MaxLength || variable.Trim('/').Length == 0 || variable.Any(c => c == '"' || char.IsControl(c)) || variable != variable.Trim())
        {
            violations.Add((field, $"must name one variable of the file (e.g. 'salinity' or '/group/var'): at most {MaxLength} characters, no quotes, control characters or surrounding spaces."));
        }
    }

    /// <summary>
    /// The file and variable of a server path: a GDAL subdataset name gives both (its variable must then agree with the
    /// variable field, when that is set too); a plain path is returned as it is, with the variable field.
    /// </summary>
    /// <exception cref="ProblemException">INVALID_ARGUMENT when the two name different variables.</exception>
    public static (string Path, string Variable) Split(string pathField, string path, string variableField, string variable)
    {
        if (!GdalSubdataset.TryParse(path, out GdalSubdataset? subdataset))
        {
            return (path, variable);
        }

        if (variable.Length > 0 && !subdataset.Names(variable))
        {
            throw Problem.InvalidArgument(
            [
                (pathField, $"names variable '{subdataset.VariableName}', but {variableField} asks for '{variable}'."),
                (variableField, $"'{variable}' disagrees with the variable named in {pathField}; give the variable in one place."),
            ]);
        }

        return (subdataset.File, subdataset.Variable);
    }
}
