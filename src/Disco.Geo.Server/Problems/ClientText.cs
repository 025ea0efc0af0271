using System.Text.RegularExpressions;

namespace Disco.Geo.Server.Problems;

/// <summary>Shapes texts that reach clients: client input echoed back is shortened, .NET-only suffixes removed.</summary>
internal static partial class ClientText
{
    /// <summary>Longest echo of client input in a message; longer input is cut and ends in "...".</summary>
    public const int MaxEchoLength = 80;

    /// <summary>Client input as echoed in messages: at most <see cref="MaxEchoLength"/> characters.</summary>
    public static string Shorten(string text) => text.Length <= MaxEchoLength ? text : text[..(MaxEchoLength - 3)] + "...";

    /// <summary>
    /// A message as clients see it: without the " (Parameter 'name')" that .NET appends to ArgumentException messages,
    /// which names a C# parameter the client never sees (the text before it names the API field).
    /// </summary>
    public static string ForClients(string message) => ParameterSuffix().Replace(message, "");

    [GeneratedRegex(@" ?\(Parameter '[^']*'\)", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterSuffix();
}
