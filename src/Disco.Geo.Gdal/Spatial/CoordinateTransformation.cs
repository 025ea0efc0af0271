using Disco.Geo.Gdal.Errors;
using Disco.Geo.Gdal.Handles;
using Disco.Geo.Gdal.Interop;

namespace Disco.Geo.Gdal;

/// <summary>A transformation between two coordinate reference systems (OGRCoordinateTransformation, via PROJ).</summary>
public sealed class CoordinateTransformation : IDisposable
{
    private readonly CoordinateTransformationHandle _handle;

    private CoordinateTransformation(CoordinateTransformationHandle handle) => _handle = handle;

    /// <summary>Creates a transformation from <paramref name="source"/> to <paramref name="target"/>.</summary>
    /// <exception cref="GdalException">PROJ finds no transformation between the two systems.</exception>
    public static CoordinateTransformation Create(SpatialReference source, SpatialReference target)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        GdalErrors.Reset();
        nint pointer = GdalNative.OCTNewCoordinateTransformation(source.Handle, target.Handle);
        if (pointer == 0)
        {
            throw GdalErrors.Failure($"Creating a transformation from {source} to {target}");
        }

        return new CoordinateTransformation(new CoordinateTransformationHandle(pointer));
    }

    /// <summary>
    /// Transforms points in place. Returns false when at least one point failed; failed points are set to infinity
    /// (PROJ's convention), the others are transformed.
    /// </summary>
    public unsafe bool Transform(Span<double> x, Span<double> y)
    {
        if (x.Length != y.Length)
        {
            throw new ArgumentException("x and y must have the same length.", nameof(y));
        }

        if (x.Length == 0)
        {
            return true;
        }

        fixed (double* px = x)
        fixed (double* py = y)
        {
            GdalErrors.Reset();
            return GdalNative.OCTTransform(_handle, x.Length, px, py, null) != 0;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
