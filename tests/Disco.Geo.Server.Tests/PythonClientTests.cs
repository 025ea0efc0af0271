using System.Diagnostics;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>An independent client not written in C#: Debian's python3-grpcio with stubs generated from protos/.</summary>
public sealed class PythonClientTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task A_python_grpcio_client_checks_health_lists_and_streams_a_download()
    {
        Assert.True(File.Exists(Python), "Install Debian's python3-grpcio and python3-grpc-tools (scripts/ensure-deps.sh --with-python).");
        string repository = RepositoryRoot();
        string stubs = Temp.Directory("python-stubs");
        string files = Temp.Directory("python-files");
        await using TestServer server = await TestServer.StartAsync();
        try
        {
            string pythonDirectory = Path.Combine(AppContext.BaseDirectory, "Python");
            string[] protos = Directory.GetFiles(Path.Combine(repository, "protos", "disco", "geo", "v1"), "*.proto")
                .Select(p => Path.GetRelativePath(Path.Combine(repository, "protos"), p)).ToArray();
            (int generated, string generateOutput) = await RunAsync(stubs,
                ["-m", "grpc_tools.protoc", "-I", Path.Combine(repository, "protos"), "-I", pythonDirectory, "--python_out", stubs, "--grpc_python_out", stubs, .. protos, "health/v1/health.proto"]);
            Assert.True(generated == 0, "protoc failed: " + generateOutput);

            using DiscoClient client = server.Client();
            string path = Temp.File(files, "world.tif", 300_000, seed: 42);
            var uploaded = await client.UploadFileAsync(path);
            (int exit, string output) = await RunAsync(stubs, [Path.Combine(pythonDirectory, "disco_client.py"), server.GrpcAddress.Replace("http://", "", StringComparison.Ordinal), "world"]);
            Assert.True(exit == 0, "python client failed: " + output);

            using JsonDocument result = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            JsonElement root = result.RootElement;
            Assert.Equal("SERVING", root.GetProperty("health").GetString());
            Assert.Equal(["world"], root.GetProperty("datasets").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(uploaded.Dataset.Blob.Sha256, root.GetProperty("download_sha256").GetString());
            Assert.Equal(uploaded.Dataset.Blob.Sha256, root.GetProperty("header_sha256").GetString());
            Assert.Equal(5, root.GetProperty("chunks").GetInt32());
            Assert.Equal("NOT_FOUND", root.GetProperty("not_found").GetString());
        }
        finally
        {
            Temp.Delete(stubs);
            Temp.Delete(files);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string pythonPath, string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONPATH"] = pythonPath;
        start.Environment.Remove("PYTHONHOME");
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return (process.ExitCode, await output + await error);
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

        throw new DirectoryNotFoundException("The repository root (with Disco.sln) is not above " + AppContext.BaseDirectory);
    }
}
