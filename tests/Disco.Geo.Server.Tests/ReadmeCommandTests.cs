using System.Diagnostics;
using System.Text.RegularExpressions;
using Disco.Geo.Gdal;
using Disco.Geo.Server.Tests.Infrastructure;

namespace Disco.Geo.Server.Tests;

/// <summary>
/// Every `disco` command in the README runs as written: each bash block of README.md that holds a `disco` command is
/// run by bash, line for line, with `disco` being the real CLI process, against a real server, in a working directory
/// with real generated rasters. Substitutions, all for the test's sake and none changing what a command means:
/// the block's `disco-server` line is replaced by a test server with the same import roots, whose paths (README:
/// /data/rasters) are replaced by a temporary import root; `--epochs N` becomes `--epochs 1` so the training takes
/// seconds, not minutes. The files the commands name under the import root (`*.jpg` world images, `*.shp` land
/// polygons) and `inputs/**/*.tif` in the working directory are generated: real JPEG, shapefile and GeoTIFF files.
/// </summary>
public sealed class ReadmeCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task Every_disco_command_in_the_readme_runs_as_written()
    {
        string readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"));
        List<string> blocks = [.. Regex.Matches(readme, @"^```bash\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups[1].Value)
            .Where(b => Regex.IsMatch(b, @"^\s*disco\s", RegexOptions.Multiline))];
        Assert.NotEmpty(blocks);
        foreach (string block in blocks)
        {
            await RunBlockAsync(block);
        }
    }

    private static async Task RunBlockAsync(string block)
    {
        string work = Temp.Directory("readme");
        string root = Path.Combine(work, "import-root");
        Directory.CreateDirectory(root);
        try
        {
            // The server line becomes a test server with the same import roots, moved to the temporary one.
            string[] lines = block.Split('\n');
            string[] roots = [.. lines.Where(l => l.TrimStart().StartsWith("disco-server ", StringComparison.Ordinal))
                .SelectMany(l => Regex.Matches(l, @"--import-root[ =](\S+)").Select(m => m.Groups[1].Value))];
            string script = string.Join('\n', lines.Where(l => !l.TrimStart().StartsWith("disco-server ", StringComparison.Ordinal)));
            foreach (string readmeRoot in roots)
            {
                script = script.Replace(readmeRoot, root, StringComparison.Ordinal);
            }

            script = Regex.Replace(script, @"--epochs \d+", "--epochs 1");
            WriteReferencedFiles(script, root, work);
            int commands = Regex.Matches(script, @"^\s*disco\s", RegexOptions.Multiline).Count;

            await using TestServer server = await TestServer.StartAsync(roots.Length == 0 ? [] : [$"--import-root={root}"]);
            string path = Path.Combine(work, "readme-block.sh");
            string cli = string.Join(' ', CliProcess.Command.Select(Quote));
            await File.WriteAllTextAsync(path, $"set -euo pipefail\ndisco() {{ echo \"+ disco $*\" >&2; {cli} \"$@\"; }}\n{script}\n");

            var start = new ProcessStartInfo("bash", [path]) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["DISCO_SERVER"] = server.GrpcAddress;
            using Process bash = Process.Start(start)!;
            Task<string> output = bash.StandardOutput.ReadToEndAsync();
            Task<string> error = bash.StandardError.ReadToEndAsync();
            try
            {
                await bash.WaitForExitAsync().WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                bash.Kill(entireProcessTree: true);
                throw;
            }

            string report = $"README block, as run:\n{script}\nexit {bash.ExitCode}\nstdout:\n{await output}\nstderr:\n{await error}";
            Assert.True(bash.ExitCode == 0, report);
            int ran = (await error).Split('\n').Count(l => l.StartsWith("+ disco ", StringComparison.Ordinal));
            Assert.True(ran >= commands, $"{ran} of {commands} disco commands ran.\n{report}");
        }
        finally
        {
            Temp.Delete(work);
        }
    }

    /// <summary>
    /// Writes the files the block names: world images (.jpg/.png/.tif) and land polygons (.shp) under the import
    /// root, and files matching the quoted globs (e.g. 'inputs/**/*.tif') in the working directory. Images are RGB
    /// plate carrée maps whose green land matches the polygons, so training and comparison have something to find.
    /// </summary>
    private static void WriteReferencedFiles(string script, string root, string work)
    {
        foreach (string file in Regex.Matches(script, Regex.Escape(root) + @"/(\S+?\.(?:jpg|png|tif|shp))\b").Select(m => m.Groups[1].Value).Distinct())
        {
            if (file.Contains('$', StringComparison.Ordinal))
            {
                // A loop variable ($m): write the file for every value the loop takes.
                Match loop = Regex.Match(script, @"for (\w+) in ([^;]+);");
                foreach (string value in loop.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    Write(Path.Combine(root, file.Replace("$" + loop.Groups[1].Value, value, StringComparison.Ordinal)));
                }
            }
            else
            {
                Write(Path.Combine(root, file));
            }
        }

        foreach (string glob in Regex.Matches(script, @"'([^'\s]*\*[^'\s]*)'").Select(m => m.Groups[1].Value))
        {
            // 'inputs/**/*.tif' → inputs/2004/sample.tif: one file a level below the glob's root.
            string relative = glob.Replace("**", "2004", StringComparison.Ordinal).Replace("*", "sample", StringComparison.Ordinal);
            string target = Path.Combine(work, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            Write(target);
        }
    }

    private static readonly (double West, double South, double East, double North)[] Land =
        [(-120, -55, -35, 65), (-15, -35, 50, 35), (60, 5, 140, 70), (110, -40, 155, -12)];

    private static bool IsLand(double lat, double lon) => Land.Any(b => lon >= b.West && lon <= b.East && lat >= b.South && lat <= b.North);

    private static void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        const int width = 360, height = 180;
        switch (Path.GetExtension(path))
        {
            case ".shp":
                ReferencingFiles.WriteShapefile(path, [.. Land.Select(box => (box.West, box.South, box.East, box.North, 1))]);
                break;
            case ".tif":
                GlobalGeoTiff.Write(path, width, height, [.. Enumerable.Range(0, 3).Select(b => (Func<double, double, double>)((lat, lon) => Colour(lat, lon)[b]))]);
                break;
            default:
                // A JPEG or PNG world image without georeferencing, exactly 2:1: taken as a global EPSG:4326 map.
                using (GdalDataset memory = GdalDataset.CreateInMemory(width, height, 3, GdalDataType.Byte))
                {
                    for (int b = 0; b < 3; b++)
                    {
                        byte[] pixels = new byte[width * height];
                        for (int r = 0; r < height; r++)
                        {
                            for (int c = 0; c < width; c++)
                            {
                                pixels[(r * width) + c] = Colour(90 - (r + 0.5), -180 + (c + 0.5))[b];
                            }
                        }

                        memory.GetBand(b + 1).Write<byte>(pixels, 0, 0, width, height);
                    }

                    using (memory.CreateCopy(Path.GetExtension(path) == ".png" ? "PNG" : "JPEG", path))
                    {
                    }
                }

                File.Delete(path + ".aux.xml");
                break;
        }
    }

    private static byte[] Colour(double lat, double lon) => IsLand(lat, lon) ? [60, 140, 50] : [20, 50, 130];

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

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
