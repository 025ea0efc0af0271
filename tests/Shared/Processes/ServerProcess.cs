using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Disco.Geo;

/// <summary>
/// disco-server as a child OS process (<c>dotnet disco-server.dll</c> found next to the calling assembly), for the
/// tests that kill it with SIGKILL and the benchmarks that measure it from outside. Compiled into both as source
/// (tests and benchmarks are separate projects and the server itself must not carry it).
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    private ServerProcess(Process process) => _process = process;

    /// <summary>Everything the server printed so far, for failure messages.</summary>
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

    /// <summary>
    /// The gRPC address the server reports it bound (http://127.0.0.1:PORT), read from its "listening" line: with port
    /// 0 the kernel picks a free port atomically at bind time, so there is no window in which another process could take
    /// a port that was probed as free.
    /// </summary>
    public string Address { get; private set; } = "";

    /// <summary>The port of <see cref="Address"/>.</summary>
    public int Port => new Uri(Address).Port;

    /// <summary>True once the server process ended (crashed, or was killed).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the server on <paramref name="listen"/> (gRPC only, warnings and errors logged; by default 127.0.0.1 with a
    /// port the kernel picks) and waits until it says where it is listening; <paramref name="settings"/> are further
    /// command-line settings; <paramref name="launcher"/> is a command the server runs under (e.g. <c>taskset -c 0</c>
    /// to pin it to one core), or null. The wait ends when the server prints its addresses or exits; the two-minute guard only
    /// turns a hung start into a failure with the server's output.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string dataDirectory, IEnumerable<string>? settings = null, string listen = "127.0.0.1:0", IReadOnlyList<string>? launcher = null)
    {
        var start = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (launcher is { Count: > 0 })
        {
            // The launcher execs dotnet in the same process, so Kill and /proc/<pid> still reach the server itself.
            foreach (string argument in launcher.Skip(1).Append("dotnet"))
            {
                start.ArgumentList.Add(argument);
            }
        }

        string dll = Path.Combine(AppContext.BaseDirectory, "disco-server.dll");
        string[] arguments =
        [
            dll, "--listen", listen, "--http-listen", "off", "--data-dir", dataDirectory,
            "--Logging:LogLevel:Default=Warning", .. settings ?? [],
        ];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(Process.Start(start)!);
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        Task first = await Task.WhenAny(server._listening.Task, server._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(2)));
        if (first != server._listening.Task)
        {
            server.Dispose();
            throw new InvalidOperationException("disco-server did not start:\n" + server.Output);
        }

        server.Address = await server._listening.Task;
        return server;
    }

    /// <summary>
    /// Starts the server again on the port this (now stopped or killed) one had, for clients that must reconnect to the
    /// address they know. The port was this server's until it died, so it was not probed; fails if the bind fails.
    /// </summary>
    public Task<ServerProcess> RestartOnSamePortAsync(string dataDirectory, IEnumerable<string>? settings = null) =>
        StartAsync(dataDirectory, settings, $"127.0.0.1:{Port}");

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>VmHWM of the server process in bytes, or -1 where /proc is not available.</summary>
    public long PeakRssBytes()
    {
        string status = $"/proc/{_process.Id}/status";
        if (!File.Exists(status))
        {
            return -1;
        }

        string? line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so each phase reports its own peak.</summary>
    public void ResetPeakRss()
    {
        try
        {
            File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not resettable here: the numbers then are peaks since the server started.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        const string Listening = "disco-server listening: ";
        if (line.StartsWith(Listening, StringComparison.Ordinal))
        {
            // gRPC addresses come first; with --http-listen off they are the only ones.
            _listening.TrySetResult(line[Listening.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        }
    }
}
