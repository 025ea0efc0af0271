using System.Runtime.InteropServices;
using Disco.Geo.Cli;

// The CLI alone handles Ctrl+C and SIGTERM (System.CommandLine's own handling is off, see CliApp): the first signal
// cancels the command, which then says what goes on without it; a second one terminates at once. Two handlers used to
// race here: System.CommandLine's ended the command and Main disposed the token source before this one cancelled it,
// which threw an unhandled ObjectDisposedException. The source lives as long as the process and is never disposed,
// because a signal can arrive at any moment, also while Main returns.
var cancellation = new CancellationTokenSource();
using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
bool interactive = !Console.IsOutputRedirected;
return await CliApp.RunAsync(args, Console.Out, Console.Error, interactive, cancellation.Token);

void Cancel(PosixSignalContext signal)
{
    signal.Cancel = !cancellation.IsCancellationRequested;
    // Callbacks registered on the token (gRPC calls, progress displays) run on the thread pool, not on the signal
    // thread, so none of them can throw out of this handler.
    _ = cancellation.CancelAsync();
}
