using System.CommandLine;
using System.Reflection;
using System.Text.RegularExpressions;
using Disco.Geo.Cli;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Options;
using Disco.Geo.Server.Storage;
using Disco.Geo.Server.Tests.Infrastructure;
using Grpc.Core;

namespace Disco.Geo.Server.Tests;

/// <summary>What error texts may contain: bounded echoes of input, no server paths, only commands and settings that exist.</summary>
public sealed partial class ServerMessagesTests
{
    [Fact]
    public async Task A_megabyte_id_is_refused_naming_the_limit_and_a_long_unknown_id_is_not_found_with_a_bounded_echo()
    {
        await using TestServer server = await TestServer.StartAsync();
        using DiscoClient client = server.Client(maxAttempts: 1);

        // A megabyte reference breaks the name/id length limit: INVALID_ARGUMENT naming the setting, without the echo
        // that used to be sent twice into the trailers (clients saw RESOURCE_EXHAUSTED).
        string huge = new('x', 1_000_000);
        foreach ((string Name, StatusCode Code, string Message) answer in await AnswersAsync(client, huge))
        {
            Assert.True(answer.Code == StatusCode.InvalidArgument, $"{answer.Name}: {answer.Code}: {answer.Message[..Math.Min(200, answer.Message.Length)]}");
            Assert.True(answer.Message.Length < 300, $"{answer.Name}: {answer.Message.Length} characters");
            Assert.Contains("Limits:Max", answer.Message, StringComparison.Ordinal);
        }

        // Within the limit, an unknown reference is NOT_FOUND and echoed cut short (job ids have a fixed form, so a
        // long one is malformed).
        string longName = new('y', 120);
        foreach ((string Name, StatusCode Code, string Message) answer in await AnswersAsync(client, longName))
        {
            StatusCode expected = answer.Name == "job" ? StatusCode.InvalidArgument : StatusCode.NotFound;
            Assert.True(answer.Code == expected, $"{answer.Name}: {answer.Code}: {answer.Message}");
            Assert.DoesNotContain(longName, answer.Message, StringComparison.Ordinal);
            Assert.True(answer.Message.Length < 300, $"{answer.Name}: {answer.Message.Length} characters");
        }
    }

    private static async Task<List<(string Name, StatusCode Code, string Message)>> AnswersAsync(DiscoClient client, string reference)
    {
        (string Name, Func<Task> Call)[] calls =
        [
            ("dataset", () => client.GetDatasetAsync(reference)),
            ("job", () => client.GetJobAsync(reference)),
            ("prediction", () => client.GetPredictionAsync(reference)),
            ("model", () => client.Stubs.Models.GetModelAsync(new GetModelRequest { Model = reference }, client.CallOptions(null, CancellationToken.None)).ResponseAsync),
        ];
        var answers = new List<(string, StatusCode, string)>();
        foreach ((string name, Func<Task> call) in calls)
        {
            Exception e = await Assert.ThrowsAnyAsync<Exception>(call);
            answers.Add(e switch
            {
                DiscoException d => (name, d.StatusCode, d.Message),
                RpcException r => (name, r.StatusCode, r.Status.Detail),
                _ => throw e,
            });
        }

        return answers;
    }

    [Fact]
    public async Task A_corrupt_stored_file_is_reported_without_its_path_in_the_data_directory()
    {
        await using TestServer server = await TestServer.StartAsync();
        using DiscoClient client = server.Client(maxAttempts: 1);
        string id = await GriddedDatasets.StoreFieldAsync(server, "field", new Grid { Kind = GridKind.Equiangular, Nlat = 19, Nlon = 36 });
        Dataset dataset = await client.GetDatasetAsync(id);
        string blob = server.Get<IBlobStore>().PathOf(dataset.Blob.Sha256);
        File.Delete(blob);
        await File.WriteAllTextAsync(blob, "not a tensor file at all, just some text long enough to have a header");

        DiscoException e = await Expect.StatusAsync(StatusCode.DataLoss, async () =>
        {
            await foreach (Tile _ in client.DownloadTilesAsync(id))
            {
            }
        });
        Assert.Contains("A stored file is corrupt", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Get<DataDirectory>().Root, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("blobs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redaction_turns_stored_files_into_words_and_other_paths_relative_to_the_data_directory()
    {
        string root = Temp.Directory("redact");
        try
        {
            using var directory = new DataDirectory(root);
            string sha = new('a', 64);
            string blob = Path.Combine(directory.BlobRoot, "aa", sha);
            Assert.Equal("'a stored file' is not a Disco tensor file.", directory.RedactPaths($"'{blob}' is not a Disco tensor file."));
            Assert.Equal("Cannot read a stored file: truncated", directory.RedactPaths($"Cannot read {blob}.aux.xml: truncated"));
            Assert.Equal("<data directory>/tmp/x.tmp is gone", directory.RedactPaths(Path.Combine(directory.TempRoot, "x.tmp") + " is gone"));
            Assert.Equal("/srv/imports/a.tif is fine", directory.RedactPaths("/srv/imports/a.tif is fine"));
        }
        finally
        {
            Temp.Delete(root);
        }
    }

    /// <summary>
    /// Every "`disco …`" a server message suggests is a command of the CLI, and every "Section:Key" it names is a
    /// property of that section's options class: scanned in the server's source, so a new message is checked too.
    /// </summary>
    [Fact]
    public void Commands_and_settings_named_in_server_messages_exist()
    {
        string source = Path.Combine(RepositoryRoot(), "src", "Disco.Geo.Server");
        RootCommand cli = CliApp.BuildRoot(TextWriter.Null, TextWriter.Null, interactive: false);
        Dictionary<string, Type> sections = typeof(LimitsOptions).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true })
            .ToDictionary(x => (string)x.Field!.GetRawConstantValue()!, x => x.Type, StringComparer.Ordinal);
        var problems = new List<string>();
        int commands = 0;
        foreach (string file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(file);
            string where = Path.GetRelativePath(source, file);
            foreach (Match match in DiscoCommand().Matches(text))
            {
                string[] words = match.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0 || words[0].StartsWith('-'))
                {
                    continue;
                }

                commands++;
                if (words[0].StartsWith('{'))
                {
                    problems.Add($"{where}: `{match.Groups[1].Value}` builds a command from a variable; name the command itself.");
                    continue;
                }

                Command? command = cli.Subcommands.FirstOrDefault(c => c.Name == words[0]);
                if (command is null)
                {
                    problems.Add($"{where}: `disco {words[0]}` is no CLI command.");
                }
                else if (command.Subcommands.Count > 0 && (words.Length < 2 || command.Subcommands.All(c => c.Name != words[1])))
                {
                    problems.Add($"{where}: `disco {string.Join(' ', words.Take(2))}` is no CLI command (disco {words[0]} has {string.Join(", ", command.Subcommands.Select(c => c.Name))}).");
                }
            }

            foreach (Match match in Setting().Matches(text))
            {
                string section = match.Groups[1].Value;
                string key = match.Groups[2].Value;
                if (!sections.TryGetValue(section, out Type? options))
                {
                    continue;
                }

                if (options.GetProperty(key, BindingFlags.Public | BindingFlags.Instance) is null)
                {
                    problems.Add($"{where}: setting {section}:{key} does not exist ({options.Name} has no property {key}).");
                }
            }
        }

        Assert.True(commands > 5, "the scan found almost no commands; is the pattern still right?");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Disco.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Disco.sln not found above " + AppContext.BaseDirectory);
    }

    // "`disco datasets list`", "`disco jobs resume {id}`", "`disco {type}s list`": the words inside the backticks.
    [GeneratedRegex(@"`disco ([^`]*)`", RegexOptions.CultureInvariant)]
    private static partial Regex DiscoCommand();

    // "Limits:MaxRasterPixels", "Storage:ImportRoots": a configuration section and key.
    [GeneratedRegex(@"\b([A-Z][A-Za-z]+):([A-Z][A-Za-z]+)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Setting();
}
