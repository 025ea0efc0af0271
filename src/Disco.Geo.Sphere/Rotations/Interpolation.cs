namespace Disco.Geo.Sphere.Rotations;

/// <summary>How values are taken from a source grid at points between its nodes.</summary>
public enum Interpolation
{
    /// <summary>The nearest node's value: for class labels and masks.</summary>
    Nearest,

    /// <summary>Bilinear in colatitude and longitude, continued across the poles: for continuous data.</summary>
    Bilinear,

    /// <summary>
    /// Bicubic: 4 × 4 nodes with cubic Lagrange weights in colatitude (on the grid's own, possibly uneven, rows) and in
    /// longitude (periodic), continued across the poles on the opposite meridian. Fourth-order accurate for smooth data
    /// (bilinear is second-order); it can overshoot at sharp edges, so use it for logits and continuous inputs.
    /// </summary>
    Bicubic,
}
