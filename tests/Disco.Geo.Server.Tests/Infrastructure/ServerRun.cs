using System.Diagnostics;
using System.Text;

namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// disco-server as a child process that is expected to refuse to start: runs it until it exits or says it is
/// listening (which such a test counts as a failure), and returns its exit code and output.
/// </summary>
internal static class ServerRun
{
    public static async Task<(int? ExitCode, string Output)> UntilExitOrListeningAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "disco-server.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (line.StartsWith("disco-server listening: ", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task exited = process.WaitForExitAsync();
        // The timeout only bounds a hung start; either outcome normally arrives within seconds.
        Task first = await Task.WhenAny(exited, listening.Task, Task.Delay(TimeSpan.FromSeconds(120)));
        if (first != exited)
        {
            process.Kill();
            await process.WaitForExitAsync();
            lock (output)
            {
                return (null, output.ToString());
            }
        }

        // Let the asynchronous readers drain what the process wrote before it exited.
        process.WaitForExit();
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }
}
