using Google.Protobuf;
using Npgsql;

namespace Disco.Geo.Server.Storage.Postgres;

/// <summary>
/// Reads stored records (Records/records.proto) kept whole in a table's <c>record</c> column: one by a column's value,
/// or a page in id order after the previous page's last id (the PostgreSQL twin of <see cref="RecordTable{T}"/>).
/// </summary>
internal static class PostgresRecords
{
    /// <summary>The first record whose <paramref name="column"/> equals <paramref name="value"/>.</summary>
    public static async Task<T?> SingleAsync<T>(NpgsqlConnection connection, MessageParser<T> parser, string table, string column, string value, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        await using var command = new NpgsqlCommand($"SELECT record FROM {table} WHERE {column} = @v LIMIT 1;", connection);
        command.Parameters.AddWithValue("v", value);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] bytes ? parser.ParseFrom(bytes) : default;
    }

    /// <summary>
    /// One page: at most <paramref name="limit"/> records after <paramref name="afterId"/>, narrowed by
    /// <paramref name="filters"/> (SQL conditions on the parameters in <paramref name="parameters"/>), plus whether more follow.
    /// </summary>
    public static async Task<RecordPage<T>> ListAsync<T>(
        NpgsqlConnection connection, MessageParser<T> parser, string table, string? afterId, int limit,
        IReadOnlyList<string> filters, IReadOnlyDictionary<string, object> parameters, CancellationToken cancellationToken)
        where T : IMessage<T>
    {
        var conditions = new List<string>(filters);
        if (afterId is not null)
        {
            conditions.Add("id > @after");
        }

        string where = conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
        await using var command = new NpgsqlCommand($"SELECT record FROM {table}{where} ORDER BY id LIMIT @limit;", connection);
        if (afterId is not null)
        {
            command.Parameters.AddWithValue("after", afterId);
        }

        // A long, so that "everything" (int.MaxValue) plus the look-ahead row does not overflow.
        command.Parameters.AddWithValue("limit", (long)limit + 1);
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var items = new List<T>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(parser.ParseFrom(reader.GetFieldValue<byte[]>(0)));
        }

        bool more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new RecordPage<T>(items, more);
    }

    /// <summary>Whether a PostgreSQL error is a unique-key violation (SQLSTATE 23505).</summary>
    public static bool IsUniqueViolation(PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;
}
