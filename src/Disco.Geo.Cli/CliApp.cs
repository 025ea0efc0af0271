using System.CommandLine;
using Disco.Geo.Cli.Commands;
using Disco.Geo.Client;

namespace Disco.Geo.Cli;

/// <summary>The `disco` command tree, and the one place where failures become messages and exit codes.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive, CancellationToken cancellationToken)
    {
        RootCommand root = BuildRoot(output, error, interactive);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync("error: " + parseError.Message);
            }

            await error.WriteLineAsync("Run `disco --help` (or `disco <command> --help`) for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    public static RootCommand BuildRoot(TextWriter output, TextWriter error, bool interactive)
    {
        var root = new RootCommand("disco: the Disco.Geo command line. Upload and ingest rasters, train spherical CNNs, predict, manage models.\n\n" + ExitCodes.Help);
        root.Options.Add(GlobalOptions.Server);
        root.Options.Add(GlobalOptions.ApiKey);
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Timeout);
        var factory = new CommandFactory(output, error, interactive);
        root.Subcommands.Add(HealthCommand.Build(factory));
        root.Subcommands.Add(DatasetsCommands.Build(factory));
        root.Subcommands.Add(TrainCommand.Build(factory));
        root.Subcommands.Add(JobsCommands.Build(factory));
        root.Subcommands.Add(PredictCommand.Build(factory));
        root.Subcommands.Add(ModelsCommands.Build(factory));
        root.Subcommands.Add(SamplesCommands.Build(factory));
        return root;
    }
}

/// <summary>Wraps command bodies: builds the context, maps failures to one clear message and an exit code.</summary>
internal sealed class CommandFactory(TextWriter output, TextWriter error, bool interactive)
{
    public void SetAction(Command command, Func<CliContext, CancellationToken, Task<int>> body) =>
        command.SetAction((parse, cancellationToken) => RunAsync(parse, body, cancellationToken));

    private async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var context = new CliContext(parse, output, error, interactive);
        try
        {
            return await body(context, cancellationToken);
        }
        catch (DiscoException e)
        {
            await error.WriteLineAsync("error: " + (e.FieldViolations.Count > 1 ? "invalid request; fix these fields:" : Describe(e, parse.GetValue(GlobalOptions.Server))));
            foreach (FieldViolation violation in e.FieldViolations.Skip(e.FieldViolations.Count > 1 ? 0 : 1))
            {
                await error.WriteLineAsync($"  {violation.Field}: {violation.Description}");
            }

            return ExitCodes.For(e.StatusCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Interrupted. Server-side work (uploads, jobs) keeps what it committed; rerun the command to continue.");
            return ExitCodes.Cancelled;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (FileNotFoundException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (DirectoryNotFoundException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (IOException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Failure;
        }
        catch (UnauthorizedAccessException e)
        {
            await error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Failure;
        }
    }

    private static string Describe(DiscoException e, string? server) => e.StatusCode switch
    {
        Grpc.Core.StatusCode.Unavailable =>
            $"cannot reach the server at {server}: {e.Message}. Is disco-server running there? Set the address with --server or DISCO_SERVER.",
        Grpc.Core.StatusCode.DeadlineExceeded =>
            $"the server at {server} did not answer in time. Raise --timeout, or check the server's load.",
        _ => e.Message,
    };
}

/// <summary>A command was used wrongly; the message says how to use it.</summary>
internal sealed class UsageException(string message) : Exception(message);
