namespace Disco.Geo.Sphere.Rotations;

/// <summary>
/// A rotation of the sphere, stored as a 3×3 orthonormal matrix acting on unit vectors v = (sin θ cos λ, sin θ sin λ, cos θ)
/// (z through the north pole, x through longitude 0). Rotating a signal f gives (R·f)(v) = f(Rᵀv): a feature at v moves to Rv.
/// </summary>
public sealed class Rotation
{
    private readonly double[] _m; // row-major 3×3

    private Rotation(double[] matrix)
    {
        _m = matrix;
    }

    /// <summary>The identity.</summary>
    public static Rotation Identity { get; } = new([1, 0, 0, 0, 1, 0, 0, 0, 1]);

    /// <summary>Matrix element (row, column).</summary>
    public double this[int row, int column] => _m[row * 3 + column];

    /// <summary>Rotation by <paramref name="angle"/> radians about the z axis (eastwards: longitude grows by the angle).</summary>
    public static Rotation AboutZ(double angle) => FromAxisAngle(0, 0, 1, angle);

    /// <summary>Rotation by <paramref name="angle"/> radians about the y axis.</summary>
    public static Rotation AboutY(double angle) => FromAxisAngle(0, 1, 0, angle);

    /// <summary>Rotation by <paramref name="angle"/> radians about the x axis.</summary>
    public static Rotation AboutX(double angle) => FromAxisAngle(1, 0, 0, angle);

    /// <summary>ZYZ Euler angles (the convention of spherical harmonics and Wigner-D): R = R_z(α) R_y(β) R_z(γ).</summary>
    public static Rotation FromEulerZyz(double alpha, double beta, double gamma) =>
        AboutZ(alpha).Then(AboutY(beta), before: true).Then(AboutZ(gamma), before: true);

    /// <summary>Rotation by <paramref name="angle"/> radians (right-handed) about the axis (x, y, z), which need not be unit length.</summary>
    /// <exception cref="ArgumentException">The axis is zero or not finite, or the angle is not finite.</exception>
    public static Rotation FromAxisAngle(double x, double y, double z, double angle)
    {
        double norm = Math.Sqrt(x * x + y * y + z * z);
        if (!(norm > 0) || !double.IsFinite(norm) || !double.IsFinite(angle))
        {
            throw new ArgumentException("The rotation axis must be a finite non-zero vector and the angle finite.", nameof(x));
        }

        double s = Math.Sin(angle / 2) / norm;
        return FromQuaternion(new UnitQuaternion(Math.Cos(angle / 2), x * s, y * s, z * s));
    }

    /// <summary>The rotation of a unit quaternion.</summary>
    public static Rotation FromQuaternion(UnitQuaternion q)
    {
        UnitQuaternion n = UnitQuaternion.Normalize(q.W, q.X, q.Y, q.Z);
        double w = n.W, x = n.X, y = n.Y, z = n.Z;
        return new Rotation(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ]);
    }

    /// <summary>A rotation drawn uniformly from SO(3) (Shoemake's subgroup algorithm) using <paramref name="random"/>.</summary>
    public static Rotation Random(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = random.NextDouble(), u2 = random.NextDouble(), u3 = random.NextDouble();
        double a = Math.Sqrt(1 - u1), b = Math.Sqrt(u1);
        return FromQuaternion(new UnitQuaternion(
            b * Math.Cos(2 * Math.PI * u3), a * Math.Sin(2 * Math.PI * u2), a * Math.Cos(2 * Math.PI * u2), b * Math.Sin(2 * Math.PI * u3)));
    }

    /// <summary>The unit quaternion of this rotation (with W ≥ 0).</summary>
    public UnitQuaternion ToQuaternion()
    {
        // Shepperd's method: pick the largest of the four candidates for numerical stability.
        double trace = _m[0] + _m[4] + _m[8];
        double w, x, y, z;
        if (trace > 0)
        {
            double s = 2 * Math.Sqrt(1 + trace);
            (w, x, y, z) = (s / 4, (_m[7] - _m[5]) / s, (_m[2] - _m[6]) / s, (_m[3] - _m[1]) / s);
        }
        else if (_m[0] > _m[4] && _m[0] > _m[8])
        {
            double s = 2 * Math.Sqrt(1 + _m[0] - _m[4] - _m[8]);
            (w, x, y, z) = ((_m[7] - _m[5]) / s, s / 4, (_m[1] + _m[3]) / s, (_m[2] + _m[6]) / s);
        }
        else if (_m[4] > _m[8])
        {
            double s = 2 * Math.Sqrt(1 + _m[4] - _m[0] - _m[8]);
            (w, x, y, z) = ((_m[2] - _m[6]) / s, (_m[1] + _m[3]) / s, s / 4, (_m[5] + _m[7]) / s);
        }
        else
        {
            double s = 2 * Math.Sqrt(1 + _m[8] - _m[0] - _m[4]);
            (w, x, y, z) = ((_m[3] - _m[1]) / s, (_m[2] + _m[6]) / s, (_m[5] + _m[7]) / s, s / 4);
        }

        return w < 0 ? UnitQuaternion.Normalize(-w, -x, -y, -z) : UnitQuaternion.Normalize(w, x, y, z);
    }

    /// <summary>ZYZ Euler angles (α, β, γ) with β ∈ [0, π], α, γ ∈ (−π, π]; γ = 0 when β is 0 or π (gimbal lock).</summary>
    public (double Alpha, double Beta, double Gamma) ToEulerZyz()
    {
        double beta = Math.Acos(Math.Clamp(_m[8], -1.0, 1.0));
        double sinBeta = Math.Sqrt(_m[2] * _m[2] + _m[5] * _m[5]);
        if (sinBeta < 1e-12)
        {
            // Only α ± γ is determined: put it all in α.
            double alpha = _m[8] > 0 ? Math.Atan2(_m[3], _m[0]) : Math.Atan2(-_m[3], -_m[0]);
            return (alpha, beta, 0.0);
        }

        return (Math.Atan2(_m[5], _m[2]), beta, Math.Atan2(_m[7], -_m[6]));
    }

    /// <summary>The inverse rotation (the transpose).</summary>
    public Rotation Inverse() => new([_m[0], _m[3], _m[6], _m[1], _m[4], _m[7], _m[2], _m[5], _m[8]]);

    /// <summary>
    /// Composition: with <paramref name="before"/> false, first this rotation, then <paramref name="next"/> (next · this);
    /// with true, <paramref name="next"/> is applied first (this · next).
    /// </summary>
    public Rotation Then(Rotation next, bool before = false)
    {
        ArgumentNullException.ThrowIfNull(next);
        double[] a = before ? _m : next._m;
        double[] b = before ? next._m : _m;
        double[] product = new double[9];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                product[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
            }
        }

        return new Rotation(product);
    }

    /// <summary>Applies the rotation to a vector.</summary>
    public (double X, double Y, double Z) Apply(double x, double y, double z) => (
        _m[0] * x + _m[1] * y + _m[2] * z,
        _m[3] * x + _m[4] * y + _m[5] * z,
        _m[6] * x + _m[7] * y + _m[8] * z);

    /// <summary>Applies the inverse rotation Rᵀ to a vector.</summary>
    public (double X, double Y, double Z) ApplyInverse(double x, double y, double z) => (
        _m[0] * x + _m[3] * y + _m[6] * z,
        _m[1] * x + _m[4] * y + _m[7] * z,
        _m[2] * x + _m[5] * y + _m[8] * z);

    /// <summary>Rotation angle in radians, in [0, π].</summary>
    public double Angle => 2 * Math.Acos(Math.Min(1.0, Math.Abs(ToQuaternion().W)));

    /// <summary>Unit vector of colatitude θ and longitude λ (radians).</summary>
    public static (double X, double Y, double Z) ToVector(double colatitude, double longitude)
    {
        double s = Math.Sin(colatitude);
        return (s * Math.Cos(longitude), s * Math.Sin(longitude), Math.Cos(colatitude));
    }

    /// <summary>Colatitude θ ∈ [0, π] and longitude λ ∈ (−π, π] of a (not necessarily unit) vector.</summary>
    public static (double Colatitude, double Longitude) ToSpherical(double x, double y, double z)
    {
        double r = Math.Sqrt(x * x + y * y + z * z);
        return (Math.Acos(Math.Clamp(z / r, -1.0, 1.0)), Math.Atan2(y, x));
    }
}
