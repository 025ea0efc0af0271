using System.CommandLine;
using System.Text;
using Disco.Geo.Client;
using Google.Protobuf;
using Spectre.Console;

namespace Disco.Geo.Cli;

/// <summary>What every command needs: the parsed global options, a client, and where to write.</summary>
internal sealed class CliContext(ParseResult parse, TextWriter output, TextWriter error, bool interactive)
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithIndentation("  "));

    public ParseResult Parse { get; } = parse;

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    /// <summary>--json was given (false when the command line did not parse far enough to tell).</summary>
    public bool JsonOutput => Parse.GetResult(GlobalOptions.Json) is { } result && !result.Errors.Any() && Parse.GetValue(GlobalOptions.Json);

    /// <summary>Progress bars only for people: a terminal on stdout and no --json.</summary>
    public bool ShowProgress => interactive && !JsonOutput;

    public IAnsiConsole Console { get; } = CreateConsole(output, interactive);

    private static IAnsiConsole CreateConsole(TextWriter output, bool interactive)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            // Pipes and files get whole lines, not a table squeezed into 80 columns.
            console.Profile.Width = 240;
        }

        return console;
    }

    public DiscoClient Connect()
    {
        int timeout = Parse.GetValue(GlobalOptions.Timeout);
        try
        {
            return DiscoClient.Connect(new DiscoClientOptions
            {
                Address = Parse.GetValue(GlobalOptions.Server) ?? DiscoClientOptions.DefaultAddress,
                ApiKey = Parse.GetValue(GlobalOptions.ApiKey),
                CallTimeout = timeout > 0 ? TimeSpan.FromSeconds(timeout) : DiscoClientOptions.DefaultCallTimeout,
            });
        }
        catch (ArgumentException e) when (e.ParamName == nameof(DiscoClientOptions.Address))
        {
            // A usage error (exit code 2) naming the bad entry, not a stack trace.
            throw new UsageException($"--server / DISCO_SERVER: {e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal)}");
        }
    }

    public void WriteJson(IMessage message) => Output.WriteLine(Json.Format(message));

    public void WriteJson(IEnumerable<IMessage> messages)
    {
        var text = new StringBuilder("[");
        bool first = true;
        foreach (IMessage message in messages)
        {
            text.Append(first ? "\n" : ",\n").Append(Json.Format(message));
            first = false;
        }

        Output.WriteLine(text.Append(first ? "]" : "\n]").ToString());
    }

    public void WriteJsonText(string json) => Output.WriteLine(json);

    /// <summary>A line for people (suppressed with --json, so scripts only see JSON on stdout).</summary>
    public void Say(string line)
    {
        if (!JsonOutput)
        {
            Output.WriteLine(line);
        }
    }
}
