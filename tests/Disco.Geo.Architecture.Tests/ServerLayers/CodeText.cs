using System.Text;

namespace Disco.Geo.Architecture.Tests.ServerLayers;

/// <summary>
/// C# source with comments and the contents of string and character literals blanked out (line breaks kept), so that a
/// namespace mentioned in a comment or a message is not mistaken for a reference and line numbers stay right.
/// </summary>
internal static class CodeText
{
    public static string Strip(string source)
    {
        StringBuilder code = new(source.Length);
        int i = 0;
        while (i < source.Length)
        {
            char c = source[i];
            char next = i + 1 < source.Length ? source[i + 1] : '\0';
            if (c == '/' && next == '/')
            {
                i = BlankUntil(source, i, code, end => source[end] == '\n');
            }
            else if (c == '/' && next == '*')
            {
                code.Append("  ");
                i = BlankUntil(source, i + 2, code, end => source[end] == '*' && end + 1 < source.Length && source[end + 1] == '/');
                code.Append("  ");
                i += 2;
            }
            else if (c == '"' || ((c == '@' || c == '$') && StartsString(source, i)))
            {
                i = SkipString(source, i, code);
            }
            else if (c == '\'')
            {
                i = SkipCharacter(source, i, code);
            }
            else
            {
                code.Append(c);
                i++;
            }
        }

        return code.ToString();
    }

    /// <summary>@"…", $"…", $@"…", @$"…", $$"""…""": prefixes that open a string at <paramref name="at"/>.</summary>
    private static bool StartsString(string source, int at)
    {
        int i = at;
        while (i < source.Length && (source[i] == '@' || source[i] == '$'))
        {
            i++;
        }

        return i < source.Length && source[i] == '"' && i > at;
    }

    private static int SkipString(string source, int at, StringBuilder code)
    {
        int i = at;
        bool verbatim = false;
        while (source[i] != '"')
        {
            verbatim |= source[i] == '@';
            code.Append(' ');
            i++;
        }

        int quotes = 0;
        while (i + quotes < source.Length && source[i + quotes] == '"')
        {
            quotes++;
        }

        if (quotes >= 3)
        {
            // Raw string literal: ends at the same number of quotes.
            string fence = new('"', quotes);
            int end = source.IndexOf(fence, i + quotes, StringComparison.Ordinal);
            end = end < 0 ? source.Length : end + quotes;
            return Blank(source, i, end, code);
        }

        if (quotes == 2)
        {
            // The empty string.
            code.Append("  ");
            return i + 2;
        }

        code.Append(' ');
        i++;
        while (i < source.Length)
        {
            char c = source[i];
            if (verbatim && c == '"' && i + 1 < source.Length && source[i + 1] == '"')
            {
                code.Append("  ");
                i += 2;
                continue;
            }

            if (!verbatim && c == '\\' && i + 1 < source.Length)
            {
                code.Append("  ");
                i += 2;
                continue;
            }

            code.Append(c == '\n' ? '\n' : ' ');
            i++;
            if (c == '"' || (!verbatim && c == '\n'))
            {
                break;
            }
        }

        return i;
    }

    private static int SkipCharacter(string source, int at, StringBuilder code)
    {
        int i = at + 1;
        while (i < source.Length && source[i] != '\'' && source[i] != '\n')
        {
            i += source[i] == '\\' ? 2 : 1;
        }

        return Blank(source, at, Math.Min(i + 1, source.Length), code);
    }

    /// <summary>Blanks from <paramref name="at"/> up to (not including) the first position where <paramref name="isEnd"/> holds.</summary>
    private static int BlankUntil(string source, int at, StringBuilder code, Func<int, bool> isEnd)
    {
        int i = at;
        while (i < source.Length && !isEnd(i))
        {
            i++;
        }

        return Blank(source, at, i, code);
    }

    private static int Blank(string source, int from, int to, StringBuilder code)
    {
        for (int i = from; i < to; i++)
        {
            code.Append(source[i] == '\n' ? '\n' : ' ');
        }

        return to;
    }
}
