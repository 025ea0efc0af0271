namespace Disco.Geo.Sphere.Rotations;

/// <summary>How values are taken from a source grid at points between its nodes.</summary>
public enum Interpolation
{
    /// <summary>The nearest node's value: for class labels and masks.</summary>
    Nearest,

    /// <summary>Bilinear in colatitude and longitude, continued across the poles: for continuous data.</summary>
    Bilinear,
}
