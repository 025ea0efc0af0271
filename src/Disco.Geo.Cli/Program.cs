using Disco.Geo.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C cancels gracefully (uploads keep committed bytes); a second one kills.
    e.Cancel = !cancellation.IsCancellationRequested;
    cancellation.Cancel();
};
bool interactive = !Console.IsOutputRedirected;
return await CliApp.RunAsync(args, Console.Out, Console.Error, interactive, cancellation.Token);
