namespace Disco.Geo.Scenes.Geometry;

/// <summary>
/// Which primitives a ray leaving one fixed point (the camera, or a light) can possibly hit, by direction. Directions
/// are binned on a cube map of 6 × N × N cells; a cell lists every primitive whose bounding sphere, seen from the
/// point, is a cone overlapping the cell's cone of directions. The lists are conservative, so tracing only the listed
/// primitives finds exactly what testing all of them would: the index changes speed, never results.
/// </summary>
internal sealed class DirectionIndex
{
    private const int Resolution = 16;
    private const int CellsPerFace = Resolution * Resolution;

    // Angular slack (in cosine units) that keeps the overlap test conservative under rounding.
    private const double Slack = 1e-9;

    private readonly int[] _cellStart;
    private readonly int[] _items;

    public DirectionIndex(Vec3 centre, PrimitiveSet primitives)
    {
        int count = primitives.Count;
        Vec3[] axes = new Vec3[count];
        double[] sinHalfAngle = new double[count];
        double[] cosHalfAngle = new double[count];
        bool[] everywhere = new bool[count];
        for (int g = 0; g < count; g++)
        {
            BoundingSphere sphere = primitives.Spheres[g];
            Vec3 toSphere = sphere.Centre - centre;
            double distance = toSphere.Length;
            everywhere[g] = distance <= sphere.Radius * (1 + 1e-9);
            if (!everywhere[g])
            {
                axes[g] = toSphere * (1 / distance);
                sinHalfAngle[g] = sphere.Radius / distance;
                cosHalfAngle[g] = Math.Sqrt(1 - sinHalfAngle[g] * sinHalfAngle[g]);
            }
        }

        List<int> items = [];
        _cellStart = new int[6 * CellsPerFace + 1];
        for (int cell = 0; cell < 6 * CellsPerFace; cell++)
        {
            (Vec3 axis, double cosCell, double sinCell) = CellCone(cell);
            for (int g = 0; g < count; g++)
            {
                // Cones overlap when the angle between their axes is at most the sum of their half-angles.
                if (everywhere[g] ||
                    Vec3.Dot(axes[g], axis) >= cosHalfAngle[g] * cosCell - sinHalfAngle[g] * sinCell - Slack)
                {
                    items.Add(g);
                }
            }

            _cellStart[cell + 1] = items.Count;
        }

        _items = [.. items];
    }

    /// <summary>Global indices (ascending) of the primitives a ray in <paramref name="direction"/> may hit.</summary>
    public ReadOnlySpan<int> Candidates(Vec3 direction)
    {
        int cell = CellOf(direction);
        return _items.AsSpan(_cellStart[cell], _cellStart[cell + 1] - _cellStart[cell]);
    }

    private static int CellOf(Vec3 d)
    {
        double ax = Math.Abs(d.X);
        double ay = Math.Abs(d.Y);
        double az = Math.Abs(d.Z);
        int face;
        double a;
        double b;
        if (ax >= ay && ax >= az)
        {
            (face, a, b) = (d.X >= 0 ? 0 : 1, d.Y / ax, d.Z / ax);
        }
        else if (ay >= az)
        {
            (face, a, b) = (d.Y >= 0 ? 2 : 3, d.Z / ay, d.X / ay);
        }
        else
        {
            (face, a, b) = (d.Z >= 0 ? 4 : 5, d.X / az, d.Y / az);
        }

        return face * CellsPerFace + Bin(a) * Resolution + Bin(b);
    }

    private static int Bin(double coordinate) => Math.Clamp((int)((coordinate + 1) * (0.5 * Resolution)), 0, Resolution - 1);

    /// <summary>Unit direction on the cube map at face coordinates (a, b) ∈ [−1, 1]², the inverse of <see cref="CellOf"/>.</summary>
    private static Vec3 FacePoint(int face, double a, double b)
    {
        double s = face % 2 == 0 ? 1 : -1;
        Vec3 v = (face / 2) switch
        {
            0 => new Vec3(s, a, b),
            1 => new Vec3(b, s, a),
            _ => new Vec3(a, b, s),
        };
        return v.Normalized();
    }

    /// <summary>
    /// Axis and half-angle (as cosine and sine) of a cone containing every direction of the cell: the cell is a
    /// convex spherical quadrilateral, so its farthest point from the centre direction is a corner.
    /// </summary>
    private static (Vec3 Axis, double Cos, double Sin) CellCone(int cell)
    {
        int face = cell / CellsPerFace;
        int i = cell % CellsPerFace / Resolution;
        int j = cell % Resolution;
        double step = 2.0 / Resolution;
        double a0 = -1 + i * step;
        double b0 = -1 + j * step;
        Vec3 axis = FacePoint(face, a0 + 0.5 * step, b0 + 0.5 * step);
        double cos = 1;
        for (int corner = 0; corner < 4; corner++)
        {
            Vec3 c = FacePoint(face, a0 + step * (corner % 2), b0 + step * (corner / 2));
            cos = Math.Min(cos, Vec3.Dot(axis, c));
        }

        return (axis, cos, Math.Sqrt(Math.Max(0, 1 - cos * cos)));
    }
}
