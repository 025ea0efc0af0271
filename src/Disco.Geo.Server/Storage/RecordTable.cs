using System.Globalization;
using Google.Protobuf;
using Microsoft.Data.Sqlite;

namespace Disco.Geo.Server.Storage;

/// <summary>
/// Reads and writes stored records (Records/records.proto) kept whole in a table's <c>record</c> column. Lists are ordered by id, which is
/// time-ordered (see <see cref="Ids"/>), and continue after the last id of the previous page.
/// </summary>
internal sealed class RecordTable<T>
    where T : class, IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());
    private readonly string _table;

    public RecordTable(string table) => _table = table;

    public string Name => _table;

    public async Task<T?> GetAsync(SqliteConnection connection, string id, CancellationToken cancellationToken) =>
        await SingleAsync(connection, "id = $v", id, cancellationToken);

    public async Task<T?> GetByNameAsync(SqliteConnection connection, string name, CancellationToken cancellationToken) =>
        await SingleAsync(connection, "name = $v", name, cancellationToken);

    public async Task<T?> SingleAsync(SqliteConnection connection, string where, string value, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT record FROM {_table} WHERE {where} LIMIT 1;";
        command.Parameters.AddWithValue("$v", value);
        object? record = await command.ExecuteScalarAsync(cancellationToken);
        return record is byte[] bytes ? Parser.ParseFrom(bytes) : null;
    }

    /// <summary>One page: at most <paramref name="limit"/> records after <paramref name="afterId"/>, plus whether more follow.</summary>
    public async Task<(List<T> Items, bool More)> ListAsync(
        SqliteConnection connection, string? afterId, int limit, string? filter, IReadOnlyDictionary<string, object>? parameters, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        string where = "($after IS NULL OR id > $after)" + (filter is null ? "" : " AND " + filter);
        command.CommandText = $"SELECT record FROM {_table} WHERE {where} ORDER BY id LIMIT $limit;";
        command.Parameters.AddWithValue("$after", (object?)afterId ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit + 1);
        if (parameters is not null)
        {
            foreach ((string key, object value) in parameters)
            {
                command.Parameters.AddWithValue(key, value);
            }
        }

        var items = new List<T>();
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Parser.ParseFrom((byte[])reader[0]));
        }

        bool more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return (items, more);
    }

    public async Task<bool> DeleteAsync(SqliteConnection connection, SqliteTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {_table} WHERE id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>INSERT OR REPLACE of the given columns (record included); values are parameters named after the columns.</summary>
    public async Task UpsertAsync(SqliteConnection connection, SqliteTransaction? transaction, IReadOnlyDictionary<string, object?> columns, CancellationToken cancellationToken)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        string names = string.Join(", ", columns.Keys);
        string values = string.Join(", ", columns.Keys.Select(k => "$" + k));
        command.CommandText = $"INSERT OR REPLACE INTO {_table} ({names}) VALUES ({values});";
        foreach ((string key, object? value) in columns)
        {
            command.Parameters.AddWithValue("$" + key, value ?? DBNull.Value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Opaque list continuation tokens: the last id of the previous page, base64url-encoded.</summary>
internal static class PageTokens
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    /// <summary>Ids are far shorter: a longer id in a token means the token was not made by this server.</summary>
    private const int MaxTokenIdLength = 64;

    public static string Encode(string lastId) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("after:" + lastId)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes a token; null for the first page. False when the token was not made by this server.</summary>
    public static bool TryDecode(string token, out string? afterId)
    {
        afterId = null;
        if (string.IsNullOrEmpty(token))
        {
            return true;
        }

        try
        {
            string padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            string text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            if (!text.StartsWith("after:", StringComparison.Ordinal))
            {
                return false;
            }

            afterId = text["after:".Length..];
            return afterId.Length is > 0 and < MaxTokenIdLength;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static int PageSize(int requested) => requested <= 0 ? DefaultPageSize : Math.Min(requested, MaxPageSize);

    public static string FormatInvariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
