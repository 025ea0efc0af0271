using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Disco.Geo.Client;
using Disco.Geo.Protos.V1;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// The Python client package (clients/python) on Debian's /usr/bin/python3 with python3-grpcio, python3-numpy and
/// python3-xarray, against a real server: its own unittest suite, and the same prediction assembled by it and by the C#
/// client. The stubs are generated from protos/ by the package's generate_stubs.py first, as a user would.
/// </summary>
public sealed partial class PythonClientTests
{
    private const string Python = "/usr/bin/python3";
    private const string ApiKey = "0123456789abcdef-python-key";

    // Generated once per test run; the tests of one class run one after the other, so they never race on the stubs.
    private static readonly Lazy<Task<string>> Package = new(GenerateStubsAsync);

    [Fact]
    public async Task The_python_packages_unittest_suite_passes_against_a_real_server()
    {
        string package = await Package.Value;
        string work = Temp.Directory("python-suite");
        try
        {
            // Band 1 an analytic field, band 2 a 0/1 label of it: what the suite ingests and trains a tiny model on.
            string raster = TinyTraining.WriteLabelledGeoTiff(Path.Combine(work, "world.tif"));
            // Two variables on a 2:1 grid, for ingest's variable option (test_sources.py).
            string netcdf = NetCdfFiles.WriteVariables(Path.Combine(work, "cube.nc"), 9, 18, "salinity", "temperature");
            await using TestServer server = await TestServer.StartAsync(["--api-key", ApiKey]);

            // A second server speaking TLS with a certificate from a throw-away CA, for the client's TLS options.
            using var certificates = new TestCertificates();
            (string ca, string certificate, string key) = await certificates.WriteServerFilesAsync(work);
            await using TestServer tls = await TestServer.StartAsync(["--tls-cert", certificate, "--tls-key", key]);
            Assert.StartsWith("https://127.0.0.1:", tls.GrpcAddress, StringComparison.Ordinal);

            var environment = new Dictionary<string, string>
            {
                ["DISCO_TEST_ADDRESS"] = Address(server),
                ["DISCO_TEST_API_KEY"] = ApiKey,
                ["DISCO_TEST_RASTER"] = raster,
                ["DISCO_TEST_NETCDF"] = netcdf,
                ["DISCO_TEST_WORK"] = work,
                ["DISCO_TEST_TLS_ADDRESS"] = tls.GrpcAddress,
                ["DISCO_TEST_TLS_CA"] = ca,
            };
            (int exit, string output) = await RunAsync(package, ["-m", "unittest", "discover", "-s", "tests", "-v"], environment);

            Assert.True(exit == 0, "the Python client's tests failed:\n" + output);
            // Every test ran: none skipped for a missing server, file or xarray, and discovery found the suite.
            Assert.DoesNotMatch(SkippedPattern(), output);
            Match ran = RanPattern().Match(output);
            Assert.True(ran.Success && int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 24, "expected at least 24 Python tests:\n" + output);
        }
        finally
        {
            Temp.Delete(work);
        }
    }

    [Fact]
    public async Task The_python_client_assembles_the_same_prediction_as_the_csharp_client()
    {
        string package = await Package.Value;
        string files = Temp.Directory("python-files");
        try
        {
            await using TestServer server = await TestServer.StartAsync(["--api-key", ApiKey]);
            using DiscoClient client = server.Client(ApiKey);

            // A real (untrained) package and a gridded dataset on its grid: the analytic field at the grid's nodes.
            Model model = await client.ImportModelAsync(Packages.Write(files, "lw.discomodel", seed: 5));
            Grid grid = model.Grid;
            // Centred on 0, the field drives this untrained network to both classes.
            await GriddedDatasets.StoreFieldAsync(server, "field", grid, offset: -10);
            (int exit, string output) = await RunAsync(package,
                [Path.Combine(AppContext.BaseDirectory, "Python", "predict_json.py"), Address(server), ApiKey, model.Name, "field", "5"]);
            Assert.True(exit == 0, "the Python client failed:\n" + output);

            using JsonDocument result = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
            JsonElement root = result.RootElement;
            Assert.Equal(["field"], root.GetProperty("datasets").EnumerateArray().Select(e => e.GetString()));

            PredictionArray expected = await client.PredictToArrayAsync(new PredictRequest { Model = model.Name, Dataset = "field", RowsPerTile = 5 });
            Assert.StartsWith("prd_", root.GetProperty("id").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(expected.Prediction.Id, root.GetProperty("id").GetString());
            Assert.Equal((grid.Nlat + 4) / 5, root.GetProperty("tiles").GetInt32());
            Assert.Equal([expected.Bands, expected.Rows, expected.Columns], root.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            float[] values = root.GetProperty("values").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            Assert.Equal(expected.Values, values);
            Assert.Contains(0f, values);
            Assert.Contains(1f, values);

            // Rows north to south inside [-90, 90]; columns eastwards from the grid's origin in equal steps.
            double[] latitudes = root.GetProperty("latitudes").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] longitudes = root.GetProperty("longitudes").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(grid.Nlat, latitudes.Length);
            Assert.All(latitudes.Zip(latitudes.Skip(1)), pair => Assert.True(pair.First > pair.Second));
            Assert.InRange(latitudes[0], -90, 90);
            Assert.InRange(latitudes[^1], -90, 90);
            Assert.Equal(Enumerable.Range(0, grid.Nlon).Select(j => grid.LonOriginDegrees + (360.0 * j / grid.Nlon)), longitudes, (a, b) => Math.Abs(a - b) < 1e-9);

            JsonElement[] areas = root.GetProperty("class_areas").EnumerateArray().ToArray();
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
            Temp.Delete(files);
        }
    }

    private static string Address(TestServer server) => server.GrpcAddress.Replace("http://", "", StringComparison.Ordinal);

    /// <summary>Runs the package's generate_stubs.py (Debian's grpc_tools) and returns the package directory.</summary>
    private static async Task<string> GenerateStubsAsync()
    {
        Assert.True(File.Exists(Python), "Install Debian's Python packages: scripts/ensure-deps.sh --with-python.");
        string package = Path.Combine(RepositoryRoot(), "clients", "python");
        (int exit, string output) = await RunAsync(package, [Path.Combine(package, "generate_stubs.py")]);
        Assert.True(exit == 0, "generate_stubs.py failed:\n" + output);
        return package;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string package, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = package };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The package from the source tree, as the README's PYTHONPATH route; nothing from a pyenv or venv.
        start.Environment["PYTHONPATH"] = package;
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment.Remove("PYTHONHOME");
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        try
        {
            // Only a guard against a hung interpreter; the suite takes seconds.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python did not finish:\n" + await output + await error);
        }

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

    [GeneratedRegex(@"skipped=\d+|\.\.\. skipped")]
    private static partial Regex SkippedPattern();

    [GeneratedRegex(@"^Ran (\d+) tests? in", RegexOptions.Multiline)]
    private static partial Regex RanPattern();
}
