namespace Disco.Geo.Sphere.Tests.Runtime;

/// <summary>
/// Forces full garbage collections and finalizer runs on a background thread for as long as it is alive. A native
/// TorchSharp object whose managed owner is unreachable during a native call (an implicit <c>Scalar</c>) is then
/// finalized, and freed, within microseconds instead of "rarely", so use-after-free defects show up in every run.
/// </summary>
internal sealed class GcStress : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public GcStress()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "gc-stress" };
        _thread.Start();
    }

    /// <summary>Collections forced so far (to show the stress actually ran).</summary>
    public long Collections { get; private set; }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Loop()
    {
        while (!_stop)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Collections++;
        }
    }
}
