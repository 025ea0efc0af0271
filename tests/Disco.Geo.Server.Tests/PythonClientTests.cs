using System.Diagnostics;
using System.Text.Json;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>An independent client not written in C#: Debian's python3-grpcio with stubs generated from protos/.</summary>
public sealed class PythonClientTests
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task A_python_grpcio_client_checks_health_lists_streams_a_download_and_a_prediction()
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

            // A real (untrained) package and a gridded dataset on its grid: the analytic field at the grid's nodes.
            Model model = await client.ImportModelAsync(Packages.Write(files, "lw.discomodel", seed: 5));
            Grid grid = model.Grid;
            // Centred on 0, the field drives this untrained network to both classes.
            await GriddedDatasets.StoreFieldAsync(server, "field", grid, offset: -10);
            (int exit, string output) = await RunAsync(stubs,
                [Path.Combine(pythonDirectory, "disco_client.py"), server.GrpcAddress.Replace("http://", "", StringComparison.Ordinal), "world", model.Name, "field"]);
            Assert.True(exit == 0, "python client failed: " + output);

            using JsonDocument result = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            JsonElement root = result.RootElement;
            Assert.Equal("SERVING", root.GetProperty("health").GetString());
            Assert.Equal(["world", "field"], root.GetProperty("datasets").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(uploaded.Dataset.Blob.Sha256, root.GetProperty("download_sha256").GetString());
            Assert.Equal(uploaded.Dataset.Blob.Sha256, root.GetProperty("header_sha256").GetString());
            Assert.Equal(5, root.GetProperty("chunks").GetInt32());
            Assert.Equal("NOT_FOUND", root.GetProperty("not_found").GetString());

            // The same prediction through the typed client: Python's tiles must cover every row once and carry the same map.
            PredictionArray expected = await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field", RowsPerTile = 5 });
            JsonElement predicted = root.GetProperty("prediction");
            Assert.StartsWith("prd_", predicted.GetProperty("id").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(expected.Prediction.Id, predicted.GetProperty("id").GetString());
            Assert.Equal((grid.Nlat + 4) / 5, predicted.GetProperty("tiles").GetInt32());
            Assert.Equal(Enumerable.Range(0, grid.Nlat), predicted.GetProperty("rows").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal((1, grid.Nlat, grid.Nlon), (expected.Bands, expected.Rows, expected.Columns));
            float[] values = predicted.GetProperty("values").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(expected.Values, values);
            Assert.Contains(0f, values);
            Assert.Contains(1f, values);

            JsonElement[] areas = predicted.GetProperty("class_areas").EnumerateArray().ToArray();
            Assert.Equal(expected.Summary.ClassAreas.Count, areas.Length);
            Assert.NotEmpty(areas);
            foreach ((ClassArea want, JsonElement got) in expected.Summary.ClassAreas.Zip(areas))
            {
                Assert.Equal(want.ClassId, got.GetProperty("class_id").GetInt32());
                Assert.Equal(want.ClassName, got.GetProperty("class_name").GetString());
                Assert.Equal(want.AreaKm2, got.GetProperty("area_km2").GetDouble(), 6);
                Assert.Equal(want.Fraction, got.GetProperty("fraction").GetDouble(), 12);
            }
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
