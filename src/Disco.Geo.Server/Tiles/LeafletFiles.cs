using Disco.Geo.Server.Options;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// Leaflet, the web-map library of the map viewer page, served from the directory Debian's libjs-leaflet installs
/// (Server:LeafletDirectory) under <see cref="Route"/>. It is a system dependency, never a copy in the repository;
/// when it is missing the viewer page says which package to install instead of drawing an empty map.
/// </summary>
internal sealed class LeafletFiles
{
    public const string Route = "/tiles/leaflet/{*file}";
    public const string UrlPath = "/tiles/leaflet";
    public const string MissingText =
        "The map viewer needs Leaflet, which is not installed on this server: install Debian's libjs-leaflet " +
        "(apt-get install libjs-leaflet) or point Server:LeafletDirectory (--leaflet-dir) at a directory holding leaflet.js and leaflet.css.";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();
    private readonly PhysicalFileProvider? _files;

    public LeafletFiles(IOptions<ServerOptions> options)
    {
        string directory = options.Value.LeafletDirectory;
        _files = Directory.Exists(directory) ? new PhysicalFileProvider(Path.GetFullPath(directory)) : null;
    }

    /// <summary>True when leaflet.js and leaflet.css are both there (checked per request: the package may be installed later).</summary>
    public bool Available => _files is not null && _files.GetFileInfo("leaflet.js").Exists && _files.GetFileInfo("leaflet.css").Exists;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapMethods(Route, [HttpMethods.Get, HttpMethods.Head], (string file, LeafletFiles leaflet) => leaflet.Serve(file));

    private IResult Serve(string file)
    {
        if (_files is null || !Available)
        {
            return ImmutableResponses.Text(404, MissingText + "\n");
        }

        // The provider refuses absolute paths and paths that climb out of its root ("..").
        IFileInfo info = _files.GetFileInfo(file);
        if (!info.Exists || info.IsDirectory || info.PhysicalPath is null)
        {
            return ImmutableResponses.Text(404, $"Leaflet has no file '{Problems.ClientText.Shorten(file)}'.\n");
        }

        string contentType = ContentTypes.TryGetContentType(file, out string? known) ? known : "application/octet-stream";
        return Results.File(info.PhysicalPath, contentType, lastModified: info.LastModified);
    }
}
