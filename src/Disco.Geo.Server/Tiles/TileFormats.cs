using Disco.Geo.Engine;

namespace Disco.Geo.Server.Tiles;

/// <summary>The image formats of tiles, by file extension: PNG always, lossless WebP where GDAL has its WEBP driver.</summary>
internal static class TileFormats
{
    public const string Png = "png";
    public const string WebP = "webp";

    public static bool IsKnown(string extension) => extension is Png or WebP;

    public static string MediaType(string extension) => extension == WebP ? "image/webp" : "image/png";

    /// <summary>The formats this server can encode, PNG first.</summary>
    public static IReadOnlyList<string> Available(IMapTileRenderer renderer) => [.. new[] { Png, WebP }.Where(renderer.SupportsFormat)];

    public static string UnavailableText(string extension, IMapTileRenderer renderer) =>
        $"Tiles are not served as '.{Disco.Geo.Server.Problems.ClientText.Shorten(extension)}'; use {string.Join(" or ", Available(renderer).Select(f => "." + f))}.\n";
}
