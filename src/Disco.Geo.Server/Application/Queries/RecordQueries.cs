using Disco.Geo.Server.Problems;
using Disco.Geo.Server.Storage;
using Google.Protobuf;

namespace Disco.Geo.Server.Application.Queries;

/// <summary>One page of a list and the token of the next (empty on the last page).</summary>
internal sealed record Page<T>(List<T> Items, string NextPageToken);

/// <summary>A checked page request: how many records, after which id (null for the first page).</summary>
internal sealed record PageRequest(int Size, string? AfterId);

/// <summary>
/// Paged lists of stored records, the same for datasets, models, predictions and jobs: page sizes and tokens are
/// checked here (a token is only ever one this server issued), pages follow id order, and the next token names the
/// last id of the page.
/// </summary>
internal sealed class RecordQueries(Catalog catalog)
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

    /// <summary>One page of <paramref name="table"/>'s records that pass <paramref name="filter"/>.</summary>
    public async Task<Page<T>> ListAsync<T>(RecordTable<T> table, PageRequest page, RecordFilter filter, Func<T, string> idOf, CancellationToken cancellationToken)
        where T : class, IMessage<T>, new()
    {
        await using var connection = await catalog.OpenAsync(cancellationToken);
        (List<T> items, bool more) = await table.ListAsync(connection, page.AfterId, page.Size, filter.Where, filter.Parameters, cancellationToken);
        return new Page<T>(items, more ? PageTokens.Encode(idOf(items[^1])) : string.Empty);
    }
}
