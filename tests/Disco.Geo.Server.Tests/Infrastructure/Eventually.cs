namespace Disco.Geo.Server.Tests.Infrastructure;

/// <summary>
/// Waits for a condition on server state that no stream announces (an upload's committed bytes). Correctness depends
/// only on the condition: the short pause between polls is not a synchronisation, and the two-minute guard only turns
/// a condition that never holds into a failure instead of a hang, however slow or loaded the machine.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (!await condition())
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), guard.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{what} never held (gave up after {Guard.TotalMinutes:F0} minutes).");
            }
        }
    }
}
