using Disco.Geo.Cli;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>Runs the `disco` CLI in-process (the same entry as its Main), against a server when one is given.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(TestServer? server, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] arguments = server is null || args.Contains("--server") ? args : ["--server", server.GrpcAddress, .. args];
        int code = await CliApp.RunAsync(arguments, output, error, interactive: false, CancellationToken.None);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}

internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}
