using System.Diagnostics;
using System.Globalization;

namespace Disco.Geo.Bench.Models;

/// <summary>
/// Runs one measurement of a benchmark in a fresh child process (the malloc tuning keeps freed memory in a process,
/// so only a fresh process gives a per-case peak RSS) and reads back its one result line.
/// </summary>
internal static class BenchmarkProcesses
{
    public const string ChildFlag = "--child";
    public const string ResultPrefix = "RESULT";
    public const string OpenMpWaitPolicy = "OMP_WAIT_POLICY";

    /// <summary>The case a child process was started for, or null in the parent.</summary>
    public static string? ChildCase(BenchmarkContext context)
    {
        int at = context.Arguments.ToList().IndexOf(ChildFlag);
        return at >= 0 && at + 1 < context.Arguments.Count ? context.Arguments[at + 1] : null;
    }

    /// <summary>
    /// Runs a case in a child. Unless <paramref name="defaultOpenMpWaitPolicy"/> is set, the child gets
    /// OMP_WAIT_POLICY=PASSIVE (when the caller has not set the variable): libgomp reads it only at start-up, and with its
    /// default spin-then-sleep policy two libtorch threads on two cores shared with other processes were measured 5–10×
    /// slower per training step than with PASSIVE.
    /// </summary>
    public static async Task<string[]> RunAsync(BenchmarkContext context, string caseName, CancellationToken cancellationToken, bool defaultOpenMpWaitPolicy = false)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find this process's executable.");
        ProcessStartInfo start = new(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (defaultOpenMpWaitPolicy)
        {
            start.Environment.Remove(OpenMpWaitPolicy);
        }
        else if (Environment.GetEnvironmentVariable(OpenMpWaitPolicy) is null)
        {
            start.Environment[OpenMpWaitPolicy] = "PASSIVE";
        }

        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(BenchmarkProcesses).Assembly.Location);
        }

        foreach (string argument in new[] { context.Name, ChildFlag, caseName }.Concat(context.Quick ? ["--quick"] : []))
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        string output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        string? result = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix + " ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || result is null)
        {
            throw new InvalidOperationException($"Case {caseName} failed with exit code {child.ExitCode}:\n{output}");
        }

        return result.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    /// <summary>Writes the result line a parent reads.</summary>
    public static void Report(params double[] values) =>
        Console.WriteLine(ResultPrefix + " " + string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

    public static double Parse(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    /// <summary>The 1-, 5- and 15-minute load averages, to show how busy the shared machine was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
