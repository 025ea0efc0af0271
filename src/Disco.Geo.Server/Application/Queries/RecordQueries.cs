using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;

namespace Disco.Geo.Server.Application.Queries;

/// <summary>A checked page request: how many records, after which id (null for the first page).</summary>
internal sealed record PageRequest(int Size, string? AfterId)
{
    /// <summary>The catalog query for this page; the caller adds its filters.</summary>
    public CatalogQuery ToCatalogQuery() => new(AfterId, Size);

    /// <summary>The job-store query for this page; the caller adds its filters.</summary>
    public JobQuery ToJobQuery() => new(AfterId, Size);
}

/// <summary>
/// Paged lists of stored records, the same for datasets, models, predictions and jobs: page sizes and tokens are
/// checked here (a token is only ever one this server issued) and the next token names the last id of the page.
/// Filtering and paging themselves belong to storage (<see cref="CatalogQuery"/>, <see cref="JobQuery"/>), so another
/// catalog answers them in its own dialect; this class only speaks the wire's page contract.
/// </summary>
internal static class RecordQueries
{
    /// <summary>
    /// Checks a list call's page size and token. Services check them first, before their own filters, so a request
    /// with several faults names the page first, as it always has.
    /// </summary>
    /// <exception cref="ProblemException">INVALID_ARGUMENT for a negative page size or a token this server did not issue.</exception>
    public static PageRequest Page(int pageSize, string pageToken)
    {
        if (pageSize < 0)
        {
            throw Problem.InvalidArgument("page_size", $"must be between 0 and {PageTokens.MaxPageSize}; got {pageSize}.");
        }

        if (!PageTokens.TryDecode(pageToken, out string? after))
        {
            throw Problem.InvalidArgument("page_token", "is not a token this server issued; pass the next_page_token of the previous page, or nothing for the first page.");
        }

        return new PageRequest(PageTokens.PageSize(pageSize), after);
    }

    /// <summary>The token of the page after <paramref name="page"/>: empty on the last page.</summary>
    public static string NextToken<T>(RecordPage<T> page, Func<T, string> idOf) =>
        page.More && page.Items.Count > 0 ? PageTokens.Encode(idOf(page.Items[^1])) : string.Empty;
}
