using System.CommandLine;
using Disco.Geo.Client;
using Google.Protobuf;

namespace Disco.Geo.Cli.Commands;

/// <summary>
/// The one <c>list</c> of datasets, models, predictions and jobs: reads every record the filters select, then prints
/// them as a table, as a JSON array (--json), or only their ids, one per line (--quiet, for scripts).
/// </summary>
internal static class ListCommand
{
    /// <param name="factory">Where the command's action is registered.</param>
    /// <param name="records">The records' plural name, as the parent command is called (e.g. "predictions").</param>
    /// <param name="description">The command's help line.</param>
    /// <param name="filters">The command's own filter options, read by <paramref name="list"/>.</param>
    /// <param name="list">The records the filters select, in the server's order.</param>
    /// <param name="columns">The table's headers and one record's cells.</param>
    /// <param name="id">A record's id (what --quiet prints).</param>
    public static Command Create<TRecord>(
        CommandFactory factory,
        string records,
        string description,
        Option[] filters,
        Func<CliContext, DiscoClient, CancellationToken, IAsyncEnumerable<TRecord>> list,
        (string[] Headers, Func<TRecord, string[]> Row) columns,
        Func<TRecord, string> id)
        where TRecord : IMessage
    {
        var quiet = new Option<bool>("--quiet", "-q") { Description = $"Print only the ids, one per line (for scripts: id=$(disco {records} list -q | tail -n 1))" };
        var command = new Command("list", description);
        foreach (Option filter in filters)
        {
            command.Options.Add(filter);
        }

        command.Options.Add(quiet);
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            var found = new List<TRecord>();
            await foreach (TRecord record in list(context, client, cancellationToken))
            {
                found.Add(record);
            }

            if (context.JsonOutput)
            {
                context.WriteJson(found.Cast<IMessage>());
            }
            else if (context.Parse.GetValue(quiet))
            {
                foreach (TRecord record in found)
                {
                    await context.Output.WriteLineAsync(id(record));
                }
            }
            else
            {
                Display.Table(context, columns.Headers, found.Select(columns.Row));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
