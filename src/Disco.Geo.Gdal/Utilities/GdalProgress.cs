using System.Runtime.InteropServices;

namespace Disco.Geo.Gdal.Utilities;

/// <summary>
/// A GDALProgressFunc bound to a <see cref="CancellationToken"/> and an optional <see cref="IProgress{T}"/>. GDAL polls
/// it while it works; returning FALSE makes GDALWarp, GDALTranslate, GDALRasterize, GDALPolygonize and GDALCreateCopy
/// stop with "User terminated", which <see cref="ThrowIfCancelled"/> turns into an <see cref="OperationCanceledException"/>.
/// The state travels through GDAL's void* argument as a GCHandle, freed on dispose.
/// </summary>
internal sealed unsafe class GdalProgress : IDisposable
{
    private readonly CancellationToken _cancellationToken;
    private readonly IProgress<double>? _progress;
    private GCHandle _self;

    internal GdalProgress(CancellationToken cancellationToken, IProgress<double>? progress = null)
    {
        _cancellationToken = cancellationToken;
        _progress = progress;
        _self = GCHandle.Alloc(this);
    }

    /// <summary>The function pointer to hand to GDAL.</summary>
    internal static nint Function => (nint)(delegate* unmanaged<double, byte*, nint, int>)&OnProgress;

    /// <summary>The void* argument to hand to GDAL alongside <see cref="Function"/>.</summary>
    internal nint Argument => GCHandle.ToIntPtr(_self);

    internal bool WasCancelled { get; private set; }

    internal void ThrowIfCancelled()
    {
        if (WasCancelled || _cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(_cancellationToken);
        }
    }

    public void Dispose()
    {
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int OnProgress(double complete, byte* message, nint argument)
    {
        try
        {
            if (argument == 0 || GCHandle.FromIntPtr(argument).Target is not GdalProgress state)
            {
                return 1;
            }

            if (state._cancellationToken.IsCancellationRequested)
            {
                state.WasCancelled = true;
                return 0;
            }

            state._progress?.Report(Math.Clamp(complete, 0.0, 1.0));
            return 1;
        }
        catch
        {
            return 0;
        }
    }
}
