using System.CommandLine;

namespace Disco.Geo.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string> Server = new("--server", "-s")
    {
        Description = "Server address (env DISCO_SERVER; default http://127.0.0.1:50051). Several replicas: addresses separated by " +
                      "commas (http://a:50051,http://b:50051) or dns:///host:port; calls are spread round robin and reads are retried on another replica",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DISCO_SERVER") is { Length: > 0 } value ? value : "http://127.0.0.1:50051",
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key for servers that require one (env DISCO_API_KEY)",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DISCO_API_KEY") is { Length: > 0 } value ? value : null,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON on stdout (messages go to stderr): one document, or JSON Lines (one Job per line) " +
                      "for commands that follow a job; on failure a last line {\"error\":{\"code\",\"message\",\"exit_code\",\"field_violations\",...}} " +
                      "(see `disco --help`)",
        Recursive = true,
    };

    public static readonly Option<int> Timeout = new("--timeout")
    {
        Description = "Deadline in seconds for each call to the server (default 30; streams are not limited)",
        Recursive = true,
        DefaultValueFactory = _ => 30,
    };
}
