using Disco.Geo.Grids;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Losses;

/// <summary>
/// Node areas of a grid as a tensor [NLat, 1] (steradians; the quadrature weights, summing to 4π over all nodes), on the
/// device and in the dtype of a reference tensor, ready to broadcast over [..., NLat, NLon]. Every loss and metric
/// weights nodes by them, so each part of the sphere counts with its area, not its pixel count.
/// </summary>
internal static class AreaWeights
{
    public static Tensor Rows(SphereGrid grid, Tensor like, ScalarType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(like);
        double[] areas = grid.RowAreas();
        using Tensor cpu = tensor(areas, [grid.NLat, 1]);
        return cpu.to(dtype ?? like.dtype, like.device);
    }

    /// <summary>Checks that a tensor ends in the grid's [NLat, NLon].</summary>
    public static void CheckGrid(Tensor x, SphereGrid grid, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(x, parameterName);
        if (x.dim() < 2 || x.shape[^2] != grid.NLat || x.shape[^1] != grid.NLon)
        {
            throw new ArgumentException(
                $"{parameterName} must end in [{grid.NLat}, {grid.NLon}] ({grid}), got [{string.Join(", ", x.shape)}].", parameterName);
        }
    }
}
