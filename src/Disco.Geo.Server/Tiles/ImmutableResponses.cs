using System.Security.Cryptography;
using Disco.Geo.Server.Options;
using Microsoft.Net.Http.Headers;

namespace Disco.Geo.Server.Tiles;

/// <summary>
/// Responses for what a finished prediction serves (tiles and tile documents): they never change, so they carry
/// <c>Cache-Control: public, max-age=…, immutable</c> and a strong ETag (a hash of the exact bytes), and a request
/// whose If-None-Match names that ETag gets 304 without a body. Errors are plain text and never cached.
/// </summary>
internal static class ImmutableResponses
{
    public static readonly string CacheControl = $"public, max-age={OptionDefaults.TileMaxAgeSeconds}, immutable";

    /// <summary>The strong entity tag of a body: the first 128 bits of its SHA-256, quoted.</summary>
    public static string EntityTag(ReadOnlySpan<byte> body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16))}\"";

    public static IResult Content(HttpContext context, byte[] body, string contentType)
    {
        string tag = EntityTag(body);
        IHeaderDictionary headers = context.Response.Headers;
        headers.CacheControl = CacheControl;
        headers.ETag = tag;
        return Matches(context.Request.Headers.IfNoneMatch, tag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(body, contentType);
    }

    public static IResult Text(int status, string message) => Results.Text(message, "text/plain; charset=utf-8", statusCode: status);

    /// <summary>
    /// True when If-None-Match names the tag (or is "*"). The comparison is weak, as RFC 9110 prescribes for
    /// If-None-Match: a cache that stored W/"…" still revalidates.
    /// </summary>
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string tag)
    {
        if (ifNoneMatch.Count == 0 || !EntityTagHeaderValue.TryParseList(ifNoneMatch, out IList<EntityTagHeaderValue>? tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(tag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }
}
