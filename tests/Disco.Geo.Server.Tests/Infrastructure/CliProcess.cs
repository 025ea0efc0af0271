using System.Diagnostics;
using System.Text;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// The `disco` CLI as a real child process (its own Main, signal handling and exit code), for what the in-process
/// <see cref="CliRunner"/> cannot show: Ctrl+C, working directories, shell quoting.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Condition, TaskCompletionSource<string> Seen)> _waiters = [];

    private CliProcess(Process process) => _process = process;

    /// <summary>
    /// The command line that runs the CLI: the test output holds disco.dll, and the test host's runtime config
    /// supplies the frameworks its dependencies resolve from (the output folder has no copies of them).
    /// </summary>
    public static IReadOnlyList<string> Command
    {
        get
        {
            string bin = AppContext.BaseDirectory;
            return
            [
                Dotnet, "exec", "--runtimeconfig", Path.Combine(bin, "Disco.Geo.Server.Tests.runtimeconfig.json"),
                "--depsfile", Path.Combine(bin, "Disco.Geo.Server.Tests.deps.json"), Path.Combine(bin, "disco.dll"),
            ];
        }
    }

    public int Id => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    private static string Dotnet =>
        Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator).Select(d => Path.Combine(d, "dotnet")).First(File.Exists);

    public static CliProcess Start(params string[] args)
    {
        // A test host started in the background without job control (CI, `cmd &` in a script) ignores SIGINT, and its
        // children inherit that, so a Ctrl+C could never reach the CLI. coreutils' env restores the default disposition
        // before it executes the CLI, as an interactive shell does for a foreground command.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--default-signal=INT");
        foreach (string argument in Command.Concat(args))
        {
            start.ArgumentList.Add(argument);
        }

        var cli = new CliProcess(new Process { StartInfo = start });
        cli._process.OutputDataReceived += (_, e) => cli.Received(cli._output, e.Data, cli._outputClosed, lines: true);
        cli._process.ErrorDataReceived += (_, e) => cli.Received(cli._error, e.Data, cli._errorClosed, lines: false);
        cli._process.Start();
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>The first stdout line for which <paramref name="condition"/> holds (lines already printed count).</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            foreach (string line in _output.ToString().Split('\n'))
            {
                if (condition(line))
                {
                    return Task.FromResult(line);
                }
            }

            _waiters.Add((condition, seen));
        }

        _ = _outputClosed.Task.ContinueWith(_ => seen.TrySetException(new InvalidOperationException(
            $"The CLI ended its output without the line waited for.\nstdout:\n{Output}\nstderr:\n{Error}")), TaskScheduler.Default);
        return seen.Task.WaitAsync(timeout);
    }

    /// <summary>
    /// Sends SIGINT, what Ctrl+C in a terminal sends. A process started with SIGINT ignored (a background job of a
    /// shell without job control) never sees it, so that is reported instead of waiting for nothing.
    /// </summary>
    public async Task InterruptAsync()
    {
        string status = await File.ReadAllTextAsync($"/proc/{_process.Id}/status");
        string ignored = status.Split('\n').First(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim();
        if ((Convert.ToUInt64(ignored, 16) & (1UL << (2 - 1))) != 0)
        {
            throw new InvalidOperationException(
                "SIGINT is ignored in the CLI process, inherited from this test host (started in the background without job control?); " +
                "Ctrl+C cannot be tested here. Run the tests from a terminal or with job control (set -m).");
        }

        using Process kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit and for all its output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(timeout);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Received(StringBuilder text, string? line, TaskCompletionSource closed, bool lines)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (text)
        {
            text.Append(line).Append('\n');
            if (!lines)
            {
                return;
            }

            foreach ((Func<string, bool> condition, TaskCompletionSource<string> seen) in _waiters.Where(w => w.Condition(line)).ToList())
            {
                seen.TrySetResult(line);
                _waiters.RemoveAll(w => w.Seen == seen);
            }
        }
    }
}
