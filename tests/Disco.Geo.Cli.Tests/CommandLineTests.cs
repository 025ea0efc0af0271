using System.CommandLine;
using System.Text.Json;
using Disco.Geo.Cli.Commands;

namespace Disco.Geo.Cli.Tests;

/// <summary>
/// The command tree without a server: help lists every command, typos get the nearest command or option, and usage
/// errors exit 2 with a USAGE error object under --json. No test here reaches a server (a refused port proves it).
/// </summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Help_lists_every_command_and_every_subcommand_at_each_level()
    {
        RootCommand root = CliApp.BuildRoot(TextWriter.Null, TextWriter.Null, interactive: false);
        var seen = new List<string>();
        async Task CheckAsync(Command command, string[] path)
        {
            (int code, string output, _) = await RunAsync([.. path, "--help"]);
            Assert.Equal(0, code);
            foreach (Command child in command.Subcommands)
            {
                Assert.Contains("  " + child.Name, output, StringComparison.Ordinal);
                seen.Add(string.Join(' ', path.Append(child.Name)));
                await CheckAsync(child, [.. path, child.Name]);
            }
        }

        await CheckAsync(root, []);
        Assert.Contains("predictions list", seen);
        Assert.Contains("predictions show", seen);
        Assert.Contains("predictions export", seen);
        Assert.Contains("predictions rm", seen);
        Assert.Contains("predictions tiles", seen);
        Assert.Contains("predict", seen);
    }

    [Fact]
    public void Docs_cli_json_lists_the_output_of_every_command()
    {
        string directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Disco.sln")))
        {
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Disco.sln not found above the test binaries.");
        }

        string doc = File.ReadAllText(Path.Combine(directory, "docs", "cli-json.md"));
        RootCommand root = CliApp.BuildRoot(TextWriter.Null, TextWriter.Null, interactive: false);
        IEnumerable<string> Leaves(Command command, string path) => command.Subcommands.Count == 0
            ? [path]
            : command.Subcommands.SelectMany(c => Leaves(c, path + " " + c.Name));

        string[] leaves = [.. Leaves(root, "disco")];
        Assert.Contains("disco predictions tiles", leaves);
        Assert.All(leaves, leaf => Assert.Contains($"| `{leaf}` |", doc, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "predictons", "list" }, "did you mean 'predictions'?")]
    [InlineData(new[] { "datsets", "list" }, "did you mean 'datasets'?")]
    [InlineData(new[] { "datasets", "lsit" }, "did you mean 'list'?")]
    [InlineData(new[] { "jbos", "list" }, "did you mean 'jobs'?")]
    [InlineData(new[] { "predictions", "tile", "prd_x" }, "did you mean 'tiles'?")]
    [InlineData(new[] { "models", "rn", "m" }, "did you mean 'rm'?")]
    [InlineData(new[] { "jobs", "list", "--sate", "running" }, "did you mean '--state'?")]
    [InlineData(new[] { "jobs", "list", "--jsno" }, "did you mean '--json'?")]
    [InlineData(new[] { "predict", "-m", "x", "-o", "out", "a.tif", "--probabilites" }, "did you mean '--probabilities'?")]
    public async Task A_typo_exits_2_and_suggests_the_nearest_name(string[] args, string suggestion)
    {
        (int code, _, string error) = await RunAsync(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(suggestion, error, StringComparison.Ordinal);

        (int jsonCode, string output, _) = await RunAsync([.. args, "--json"]);
        Assert.Equal(ExitCodes.Usage, jsonCode);
        using JsonDocument json = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        JsonElement problem = json.RootElement.GetProperty("error");
        Assert.Equal("USAGE", problem.GetProperty("code").GetString());
        Assert.Equal(ExitCodes.Usage, problem.GetProperty("exit_code").GetInt32());
        Assert.Contains(suggestion, problem.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_word_far_from_every_command_gets_no_suggestion()
    {
        (int code, _, string error) = await RunAsync(["frobnicate"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("Unrecognized command or argument 'frobnicate'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("list", "list", 0)]
    [InlineData("lsit", "list", 1)] // one transposition, not two substitutions
    [InlineData("predictons", "predictions", 1)]
    [InlineData("abc", "ca", 3)]
    [InlineData("", "rm", 2)]
    public void Distance_counts_an_adjacent_transposition_as_one_edit(string a, string b, int expected) =>
        Assert.Equal(expected, TypoSuggestions.Distance(a, b));

    [Fact]
    public void Short_names_are_suggested_only_one_edit_away()
    {
        Assert.Null(TypoSuggestions.Nearest("ls", ["rm", "list"])); // two edits from rm
        Assert.Equal("rm", TypoSuggestions.Nearest("rn", ["rm", "list"]));
        Assert.Equal("predictions", TypoSuggestions.Nearest("prdictins", ["predict", "predictions"]));
        Assert.Null(TypoSuggestions.Nearest("train", ["train"])); // an exact name is no typo
    }

    [Fact]
    public void The_http_address_defaults_to_the_next_port_of_the_first_server_address()
    {
        Assert.Equal("http://127.0.0.1:50052", PredictionsCommands.HttpBase(null, "http://127.0.0.1:50051"));
        Assert.Equal("https://maps.example:8444", PredictionsCommands.HttpBase(null, "https://maps.example:8443,https://other:8443"));
        Assert.Equal("http://10.0.0.5:9000", PredictionsCommands.HttpBase(null, "10.0.0.5:8999"));
        Assert.Equal("http://tiles.example/base", PredictionsCommands.HttpBase("http://tiles.example/base/", "http://127.0.0.1:50051"));
        // A DNS name resolving to replicas gives no one host to serve tiles from: --http must say where.
        UsageException unknown = Assert.Throws<UsageException>(() => PredictionsCommands.HttpBase(null, "dns:///disco.internal:50051"));
        Assert.Contains("--http", unknown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0,0,90,45", 0, 0, 90, 45)]
    [InlineData(" -10.5, -20 ,10.25,20", -10.5, -20, 10.25, 20)]
    [InlineData("170,-10,190,10", 170, -10, 190, 10)] // across the antimeridian: east beyond 180
    public void Bounds_parse_west_south_east_north_in_degrees(string text, double west, double south, double east, double north)
    {
        Protos.V1.GeographicBounds bounds = Parsing.Bounds("--bounds", text);
        Assert.Equal((west, south, east, north), (bounds.West, bounds.South, bounds.East, bounds.North));
    }

    [Theory]
    [InlineData("0,0,90", "is not WEST,SOUTH,EAST,NORTH")]
    [InlineData("0,0,90,45,1", "is not WEST,SOUTH,EAST,NORTH")]
    [InlineData("a,0,90,45", "is not WEST,SOUTH,EAST,NORTH")]
    [InlineData("0,0,NaN,45", "is not WEST,SOUTH,EAST,NORTH")]
    [InlineData("0,45,90,0", "-90 <= SOUTH < NORTH <= 90")]
    [InlineData("0,-91,90,45", "-90 <= SOUTH < NORTH <= 90")]
    [InlineData("90,0,0,45", "to cross the antimeridian write EAST beyond 180")]
    [InlineData("-180,0,200,45", "at most 360 apart")]
    public async Task Bad_bounds_are_usage_errors_of_predict_and_ingest_before_any_call(string text, string expected)
    {
        UsageException parsed = Assert.Throws<UsageException>(() => Parsing.Bounds("--bounds", text));
        Assert.Contains(expected, parsed.Message, StringComparison.Ordinal);

        (int code, _, string error) = await RunAsync(["predict", "-m", "x", "-o", Path.GetTempPath(), "a.png", "--bounds", text]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync(["datasets", "ingest", "--name", "n", "--grid", "equiangular:19x36", "--from", "raw", "--bounds", text]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bounds_refuse_inputs_that_carry_their_own_placement()
    {
        (int code, _, string error) = await RunAsync(["predict", "-m", "x", "-o", Path.GetTempPath(), "--input-kind", "panorama", "a.jpg", "--bounds", "0,0,90,45"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--input-kind raster", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync(["datasets", "ingest", "--name", "n", "--grid", "equiangular:19x36", "--path", "/a.tif", "--path", "/b.tif", "--bounds", "0,0,90,45"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("tiles", error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // A server address nothing listens on: a usage error must be decided before any call.
        int code = await CliApp.RunAsync(["--server", "http://127.0.0.1:1", "--timeout", "1", .. args], output, error, interactive: false, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
