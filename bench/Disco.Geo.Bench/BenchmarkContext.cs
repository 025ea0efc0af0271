using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Disco.Geo.Bench;

/// <summary>Arguments, output location and machine description shared by all benchmarks.</summary>
internal sealed class BenchmarkContext
{
    public BenchmarkContext(string name, IReadOnlyList<string> arguments, string resultsDirectory)
    {
        Name = name;
        Arguments = arguments;
        ResultsDirectory = resultsDirectory;
    }

    public string Name { get; }

    public IReadOnlyList<string> Arguments { get; }

    /// <summary>bench/results: one Markdown file per benchmark.</summary>
    public string ResultsDirectory { get; }

    /// <summary>True when "--quick" was passed: smaller sizes and fewer repetitions, for smoke runs.</summary>
    public bool Quick => Arguments.Contains("--quick");

    /// <summary>Value of "--name value", or the fallback.</summary>
    public string Option(string name, string fallback)
    {
        for (int i = 0; i + 1 < Arguments.Count; i++)
        {
            if (Arguments[i] == "--" + name)
            {
                return Arguments[i + 1];
            }
        }

        return fallback;
    }

    /// <summary>
    /// "2 cores, AMD EPYC (family 25 model 17, AVX-512), 24 GiB, Debian GNU/Linux 12, .NET 10.0.x" read from the
    /// running machine. Cloud VMs often report only "AMD EPYC" as the model name, while the same name has been a Zen 3
    /// (AVX2), a Zen 4 and a Zen 5 on different days here, with twice the vector throughput between them; the family,
    /// model and widest vector ISA tell them apart.
    /// </summary>
    public static string MachineDescription()
    {
        string cpu = ReadFirst("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        string? family = ReadFirst("/proc/cpuinfo", "cpu family"), model = ReadFirst("/proc/cpuinfo", "model");
        string vectors = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "AVX-512"
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "AVX2" : "128-bit vectors";
        cpu += family is null || model is null ? $" ({vectors})" : $" (family {family} model {model}, {vectors})";
        string? memKb = ReadFirst("/proc/meminfo", "MemTotal");
        string memory = memKb is null ? "?" : (double.Parse(memKb.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) / (1024 * 1024)).ToString("F0", CultureInfo.InvariantCulture) + " GiB";
        string os = ReadFirst("/etc/os-release", "PRETTY_NAME")?.Trim('"') ?? RuntimeInformation.OSDescription;
        return $"{Environment.ProcessorCount} cores, {cpu}, {memory}, {os}, .NET {Environment.Version}";
    }

    /// <summary>Writes bench/results/&lt;name&gt;.md with a heading, the date and the machine, then the body.</summary>
    public void WriteSection(string title, string markdownBody)
    {
        Directory.CreateDirectory(ResultsDirectory);
        string header = $"## {title}\n\nMeasured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {MachineDescription()}.\n" +
                        $"Command: `dotnet run -c Release --project bench/Disco.Geo.Bench -- {Name} {string.Join(' ', Arguments)}`\n\n";
        // --results-name writes another file, e.g. one model's rows of a benchmark run in its own process.
        string path = Path.Combine(ResultsDirectory, Option("results-name", Name) + ".md");
        File.WriteAllText(path + ".tmp", header + markdownBody.TrimEnd() + "\n");
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"Results written to {path}");
    }

    /// <summary>
    /// A start description that runs this benchmark again in a fresh process with extra arguments: for measurements
    /// that need their own peak RSS. Works both from the apphost and from "dotnet disco-bench.dll".
    /// </summary>
    public ProcessStartInfo ChildProcess(params string[] extraArguments)
    {
        ProcessStartInfo start = new(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        string entry = Environment.GetCommandLineArgs()[0];
        bool hostedByDotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet";
        if (hostedByDotnet && entry.EndsWith(".dll", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(entry);
        }

        start.ArgumentList.Add(Name);
        foreach (string argument in Arguments.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <summary>Peak resident set size of this process in bytes (VmHWM), or -1 where unavailable.</summary>
    public static long PeakRssBytes()
    {
        string? value = ReadFirst("/proc/self/status", "VmHWM");
        return value is null ? -1 : long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string? ReadFirst(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            int split = colon >= 0 ? colon : equals;
            if (split > 0 && line[..split].Trim() == key)
            {
                return line[(split + 1)..].Trim();
            }
        }

        return null;
    }
}
