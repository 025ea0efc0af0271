using System.CommandLine;
using System.CommandLine.Parsing;

namespace Disco.Geo.Cli;

/// <summary>
/// "did you mean …?" for a mistyped command or option: the nearest name by optimal-string-alignment distance
/// (Damerau–Levenshtein where a swapped pair of neighbours counts as one edit, the commonest slip on a keyboard).
/// </summary>
internal static class TypoSuggestions
{
    /// <summary>
    /// Tokens that look like options ("--rotaton-averaging") but were taken as values of an argument that accepts
    /// anything, such as `disco predict`'s input files: a mistyped option would otherwise be reported as a missing file.
    /// A file whose name starts with "--" can still be given as ./--name.
    /// </summary>
    public static IReadOnlyList<string> OptionLikeArguments(ParseResult parse) =>
        [.. parse.CommandResult.Children.OfType<ArgumentResult>()
            .SelectMany(a => a.Tokens)
            .Select(t => t.Value)
            .Where(v => v.StartsWith("--", StringComparison.Ordinal) && v.Length > 2)];

    /// <summary>One hint per token the parser could not place, e.g. "'lsit' is not a command of `disco datasets`; did you mean 'list'?".</summary>
    public static IReadOnlyList<string> For(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        var hints = new List<string>();
        foreach (string token in parse.UnmatchedTokens.Concat(OptionLikeArguments(parse)).Distinct(StringComparer.Ordinal))
        {
            bool isOption = token.StartsWith('-');
            IEnumerable<string> names = isOption ? OptionNames(parse.CommandResult) : command.Subcommands.SelectMany(c => c.Aliases.Prepend(c.Name));
            string? nearest = Nearest(isOption ? token.Split('=', ':')[0] : token, names);
            if (nearest is not null)
            {
                string where = CommandPath(parse.CommandResult);
                hints.Add($"'{token}' is not {(isOption ? "an option" : "a command")} of `{where}`; did you mean '{nearest}'? (`{where} --help` lists them)");
            }
        }

        return hints;
    }

    /// <summary>The candidate closest to <paramref name="typed"/>, or null when none is close enough to be a slip.</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            int distance = Distance(typed.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        // Short names are only a slip away from each other when one edit apart ("rm" and "ls" are two); longer
        // ones tolerate about one edit per three letters, at most three.
        string core = typed.TrimStart('-');
        int allowed = core.Length <= 4 ? 1 : Math.Min(3, core.Length / 3);
        return bestDistance > 0 && bestDistance <= allowed ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    value = Math.Min(value, d[i - 2, j - 2] + 1);
                }

                d[i, j] = value;
            }
        }

        return d[a.Length, b.Length];
    }

    // The command's own options and the recursive ones of its ancestors (--server, --json, …).
    private static IEnumerable<string> OptionNames(CommandResult result)
    {
        for (SymbolResult? current = result; current is CommandResult commandResult; current = current.Parent)
        {
            foreach (Option option in commandResult.Command.Options)
            {
                if (current == result || option.Recursive)
                {
                    foreach (string name in option.Aliases.Prepend(option.Name))
                    {
                        yield return name;
                    }
                }
            }
        }
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is CommandResult commandResult; current = current.Parent)
        {
            names.Add(commandResult.Parent is null ? "disco" : commandResult.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
