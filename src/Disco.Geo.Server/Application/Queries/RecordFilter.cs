namespace Disco.Geo.Server.Application.Queries;

/// <summary>
/// What a list call keeps: conditions on a record table's indexed columns, all of which must hold. The services name
/// columns and values; the SQL is written here once, with every value a parameter.
/// </summary>
internal sealed class RecordFilter
{
    private readonly List<string> _conditions = [];
    private readonly Dictionary<string, object> _parameters = new(StringComparer.Ordinal);

    /// <summary>Rows whose <paramref name="column"/> equals <paramref name="value"/>; no condition when the value is null.</summary>
    public RecordFilter Equal(string column, object? value)
    {
        if (value is not null)
        {
            string parameter = Parameter();
            _conditions.Add($"{column} = {parameter}");
            _parameters[parameter] = value;
        }

        return this;
    }

    /// <summary>Rows whose name starts with <paramref name="prefix"/> (case-sensitive, no wildcards); none when empty.</summary>
    public RecordFilter NamePrefix(string? prefix)
    {
        if (!string.IsNullOrEmpty(prefix))
        {
            string parameter = Parameter();
            // substr rather than LIKE: a prefix is matched literally, '%' and '_' included.
            _conditions.Add($"substr(name, 1, length({parameter})) = {parameter}");
            _parameters[parameter] = prefix;
        }

        return this;
    }

    /// <summary>The SQL condition, or null for every row.</summary>
    internal string? Where => _conditions.Count == 0 ? null : string.Join(" AND ", _conditions);

    internal IReadOnlyDictionary<string, object> Parameters => _parameters;

    private string Parameter() => "$p" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
