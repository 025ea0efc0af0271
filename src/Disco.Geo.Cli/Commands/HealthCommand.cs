using System.CommandLine;
using Grpc.Health.V1;

namespace Disco.Geo.Cli.Commands;

internal static class HealthCommand
{
    public static Command Build(CommandFactory factory)
    {
        var command = new Command("health", "Check the server's health (grpc.health.v1): exit 0 when SERVING, 3 otherwise.");
        factory.SetAction(command, async (context, cancellationToken) =>
        {
            using var client = context.Connect();
            HealthCheckResponse.Types.ServingStatus status = await client.CheckHealthAsync(cancellationToken);
            if (context.JsonOutput)
            {
                context.WriteJson(new HealthCheckResponse { Status = status });
            }
            else
            {
                string text = status switch
                {
                    HealthCheckResponse.Types.ServingStatus.Serving => "SERVING",
                    HealthCheckResponse.Types.ServingStatus.NotServing => "NOT_SERVING",
                    _ => status.ToString().ToUpperInvariant(),
                };
                context.Output.WriteLine($"{context.Parse.GetValue(GlobalOptions.Server)}: {text}");
            }

            return status == HealthCheckResponse.Types.ServingStatus.Serving ? ExitCodes.Success : ExitCodes.Unreachable;
        });
        return command;
    }
}
