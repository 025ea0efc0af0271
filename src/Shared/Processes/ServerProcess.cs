using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    /// <summary>A loopback port free at the moment of asking.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts the server on 127.0.0.1:<paramref name="port"/> (gRPC only, warnings and errors logged) and waits until it
    /// says it is listening; <paramref name="settings"/> are further command-line settings.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(int port, string dataDirectory, params string[] settings)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string dll = Path.Combine(AppContext.BaseDirectory, "disco-server.dll");
        string[] arguments =
        [
            dll, "--listen", $"127.0.0.1:{port}", "--http-listen", "off", "--data-dir", dataDirectory,
            "--Logging:LogLevel:Default=Warning", .. settings,
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
        Task first = await Task.WhenAny(server._listening.Task, server._process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != server._listening.Task)
        {
            server.Dispose();
            throw new InvalidOperationException("disco-server did not start:\n" + server.Output);
        }

        return server;
    }

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

        if (line.StartsWith("disco-server listening: ", StringComparison.Ordinal))
        {
            _listening.TrySetResult();
        }
    }
}
