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
        List<string> errors = [.. parse.Errors.Select(e => e.Message), .. TypoSuggestions.OptionLikeArguments(parse).Select(o => $"Unrecognized option '{o}'.")];
        if (errors.Count > 0)
        {
            foreach (string message in errors)
            {
                await error.WriteLineAsync("error: " + message);
            }

            IReadOnlyList<string> hints = TypoSuggestions.For(parse);
            foreach (string hint in hints)
            {
                await error.WriteLineAsync(hint);
            }

            await error.WriteLineAsync("Run `disco --help` (or `disco <command> --help`) for usage.");
            JsonErrors.Write(new CliContext(parse, output, error, interactive), "USAGE", ExitCodes.Usage,
                string.Join(" ", errors.Concat(hints)) + " Run `disco --help` (or `disco <command> --help`) for usage.");
            return ExitCodes.Usage;
        }

        // ProcessTerminationTimeout null: Ctrl+C and SIGTERM are handled by Program alone, which cancels the token
        // passed here. A second handler in System.CommandLine raced with it (see Program.cs).
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(configuration, cancellationToken);
    }

    public static RootCommand BuildRoot(TextWriter output, TextWriter error, bool interactive)
    {
        var root = new RootCommand(
            "disco: the Disco.Geo command line. Upload and ingest rasters, train spherical CNNs, predict, manage models.\n\n" + JsonErrors.Help + "\n" + ExitCodes.Help);
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
        root.Subcommands.Add(PredictionsCommands.Build(factory));
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
            string message = Describe(e, parse.GetValue(GlobalOptions.Server));
            await error.WriteLineAsync("error: " + (e.FieldViolations.Count > 1 ? "invalid request; fix these fields:" : message));
            foreach (FieldViolation violation in e.FieldViolations.Skip(e.FieldViolations.Count > 1 ? 0 : 1))
            {
                await error.WriteLineAsync($"  {violation.Field}: {violation.Description}");
            }

            JsonErrors.Write(context, e, message);
            return ExitCodes.For(e.StatusCode);
        }
        catch (FollowInterruptedException e)
        {
            await error.WriteLineAsync(e.Message);
            JsonErrors.Write(context, "CANCELLED", ExitCodes.Cancelled, e.Message, e.Job);
            return ExitCodes.Cancelled;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            const string message = "Interrupted. Jobs the server already accepted go on there (`disco jobs list` shows them; " +
                                   "`disco jobs cancel ID` stops one); rerun an upload or a batch prediction to continue where it stopped.";
            await error.WriteLineAsync(message);
            JsonErrors.Write(context, "CANCELLED", ExitCodes.Cancelled, message);
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is UsageException or FileNotFoundException or DirectoryNotFoundException)
        {
            await error.WriteLineAsync("error: " + e.Message);
            JsonErrors.Write(context, "USAGE", ExitCodes.Usage, e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync("error: " + e.Message);
            JsonErrors.Write(context, "IO", ExitCodes.Failure, e.Message);
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

/// <summary>
/// Ctrl+C stopped the CLI while it followed a job; the job goes on on the server, and the message says how to follow
/// or cancel it.
/// </summary>
internal sealed class FollowInterruptedException(Disco.Geo.Protos.V1.Job job, OperationCanceledException inner)
    : Exception(
        $"Interrupted. Job {job.Id} keeps running on the server; only following it stopped. " +
        $"Follow it again with `disco jobs watch {job.Id}`, or stop it with `disco jobs cancel {job.Id}`.", inner)
{
    public Disco.Geo.Protos.V1.Job Job { get; } = job;
}

/// <summary>A command was used wrongly; the message says how to use it.</summary>
internal sealed class UsageException(string message) : Exception(message);
