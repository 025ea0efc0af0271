using System.CommandLine;
using Disco.Geo.Client;
using Google.Protobuf;

namespace Disco.Geo.Cli.Commands;

/// <summary>The one <c>rm</c> of datasets, models and predictions: removes each named record in order and reports what it freed.</summary>
internal static class RemoveCommand
{
    /// <param name="factory">Where the command's action is registered.</param>
    /// <param name="records">The argument's name and what it takes, e.g. ("models", "Model ids or names").</param>
    /// <param name="description">The command's help line.</param>
    /// <param name="delete">The delete call for one id or name.</param>
    /// <param name="freed">The removed record's id and the bytes its removal freed.</param>
    public static Command Create<TResponse>(
        CommandFactory factory,
        (string Name, string Description) records,
        string description,
        Func<DiscoClient, string, CancellationToken, Task<TResponse>> delete,
        Func<TResponse, (string Id, long FreedBytes)> freed)
        where TResponse : IMessage
    {
        var names = new Argument<string[]>(records.Name) { Description = records.Description, Arity = ArgumentArity.OneOrMore };
        var command = new Command("rm", description) { names };
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using DiscoClient client = context.Connect();
            var removed = new List<IMessage>();
            foreach (string name in context.Parse.GetValue(names)!)
            {
                TResponse response = await delete(client, name, cancellationToken);
                removed.Add(response);
                (string id, long bytes) = freed(response);
                context.Say($"Removed {id}; freed {Display.Bytes(bytes)}");
            }

            if (context.JsonOutput)
            {
                context.WriteJson(removed);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
