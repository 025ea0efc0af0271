using ApiGridKind = Disco.Geo.Protos.V1.GridKind;
using GridKind = Disco.Geo.Grids.GridKind;

namespace Disco.Geo.Cli;

/// <summary>
/// The wire enum and the library enum name the same kinds with the same member names, so the CLI converts by name and
/// keeps no table of its own (the names and aliases live in <see cref="Grids.GridKindNames"/>).
/// </summary>
internal static class ApiGridKinds
{
    public static ApiGridKind From(GridKind kind) => Enum.Parse<ApiGridKind>(kind.ToString());

    public static GridKind? To(ApiGridKind kind) => Enum.TryParse(kind.ToString(), out GridKind known) && kind != ApiGridKind.Unspecified ? known : null;
}
