namespace Disco.Geo.Grids.Quadrature;

/// <summary>
/// Colatitudes (radians, north pole first) and the matching quadrature weights for ∫ f d(cos θ) over [−1, 1];
/// the weights therefore sum to 2.
/// </summary>
internal sealed record LatitudeRule(double[] Colatitudes, double[] Weights);
