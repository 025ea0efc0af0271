using Disco.Geo.Grids;
using Disco.Geo.Grids.Quadrature;
using Disco.Geo.Sphere.FilterBases;

namespace Disco.Geo.Sphere.Psi;

/// <summary>
/// Precomputes psi (Ocampo et al. 2023, eq. 9 discretised): for every row-grid latitude t at longitude 0, each
/// column-grid node is rotated into the frame that puts the output point on the north pole, the filter basis is
/// evaluated there, then values are normalised per group and multiplied by the node's quadrature weight.
/// Follows torch-harmonics' _precompute_convolution_tensor_s2 and _normalize_convolution_tensor_s2 (commit
/// 9e9fa537) step by step, including the order of floating-point operations in the rotation, so that points lying
/// exactly on a support edge are classified the same way. Output latitudes are independent and built in parallel,
/// and only nodes that can lie inside the cap are visited, so the cost grows with the number of stored entries.
/// </summary>
internal static class PsiBuilder
{
    private const double NormalizationEpsilon = 1e-9;

    /// <summary>Builds the normalised psi with quadrature merged in.</summary>
    public static PsiTensor Build(PsiSpec spec)
    {
        PsiTensor raw = EvaluateBasis(spec);
        return Normalize(spec, raw);
    }

    /// <summary>
    /// The raw basis values φ_k(ϑ, φ) on the psi sparsity pattern, before normalisation and quadrature: CSR by (k, t)
    /// with ascending columns. Exposed for conformance tests against torch-harmonics' basis values.
    /// </summary>
    internal static PsiTensor EvaluateBasis(PsiSpec spec)
    {
        Validate(spec);
        SphereGrid rows = spec.RowGrid;
        SphereGrid columns = spec.ColumnGrid;
        int kernelSize = spec.Basis.KernelSize;
        double cutoff = spec.EffectiveCutoff;
        double offset = spec.LongitudeOffset;

        CapGeometry geometry = new(columns, spec.Basis, cutoff, offset);
        var perLatitude = new RowEntries[rows.NLat];
        Parallel.For(0, rows.NLat, t =>
        {
            RowEntries entries = new(kernelSize);
            geometry.Collect(rows.Colatitude(t), offset, entries);
            perLatitude[t] = entries;
        });

        return Assemble(spec, perLatitude);
    }

    /// <summary>Applies the basis normalisation, the quadrature weights and (transpose) the longitude correction.</summary>
    internal static PsiTensor Normalize(PsiSpec spec, PsiTensor raw)
    {
        int kernelSize = raw.KernelSize;
        int nlatOut = raw.NLatOut;
        int nlonIn = raw.NLonIn;
        bool transpose = spec.Transpose;
        int groupCount = transpose ? raw.NLatIn : nlatOut;
        double[] columnWeights = spec.ColumnGrid.LatitudeWeightArray;
        double[] rowWeights = spec.RowGrid.LatitudeWeightArray;

        // Quadrature weight of each stored entry: the input node's weight, or for the transpose the coarse node's.
        double[] quadrature = new double[raw.StoredEntries];
        int[] group = new int[raw.StoredEntries];
        for (int k = 0; k < kernelSize; k++)
        {
            for (int t = 0; t < nlatOut; t++)
            {
                int row = raw.Row(k, t);
                for (int e = raw.RowOffsets[row]; e < raw.RowOffsets[row + 1]; e++)
                {
                    int i = raw.Columns[e] / nlonIn;
                    quadrature[e] = (transpose ? rowWeights[t] : columnWeights[i]) / nlonIn / 2.0;
                    group[e] = transpose ? i : t;
                }
            }
        }

        double[,] support = new double[kernelSize, groupCount];
        double[,] bias = new double[kernelSize, groupCount];
        double[,] scale = new double[kernelSize, groupCount];
        double[] values = raw.Values;
        ForEachEntry(raw, (k, e) => support[k, group[e]] += quadrature[e]);
        if (spec.Normalization == BasisNormalization.Modal)
        {
            double[,] weightedSum = new double[kernelSize, groupCount];
            ForEachEntry(raw, (k, e) => weightedSum[k, group[e]] += values[e] * quadrature[e]);
            for (int k = 0; k < kernelSize; k++)
            {
                for (int g = 0; g < groupCount; g++)
                {
                    if (!spec.Basis.IsIsotropic(k) && Math.Abs(support[k, g]) > NormalizationEpsilon)
                    {
                        bias[k, g] = weightedSum[k, g] / support[k, g];
                    }
                }
            }
        }

        ForEachEntry(raw, (k, e) => scale[k, group[e]] += Math.Abs(values[e] - bias[k, group[e]]) * quadrature[e]);

        double[] meanScale = new double[kernelSize];
        double[] meanBias = new double[kernelSize];
        for (int k = 0; k < kernelSize; k++)
        {
            for (int g = 0; g < groupCount; g++)
            {
                meanScale[k] += scale[k, g];
                meanBias[k] += bias[k, g];
            }

            meanScale[k] /= groupCount;
            meanBias[k] /= groupCount;
        }

        double geometricScale = (1.0 - Math.Cos(spec.ThetaCutoff)) / 2.0 / 2.0;
        double correction = transpose ? (double)raw.NLonOut / raw.NLonIn : 1.0;
        double[] normalized = new double[raw.StoredEntries];
        ForEachEntry(raw, (k, e) =>
        {
            int g = group[e];
            (double b, double s) = spec.Normalization switch
            {
                BasisNormalization.Nodal or BasisNormalization.Modal => (bias[k, g], scale[k, g]),
                BasisNormalization.Mean => (meanBias[k], meanScale[k]),
                BasisNormalization.Support => (0.0, support[k, g]),
                BasisNormalization.Geometric => (0.0, geometricScale),
                _ => (0.0, 1.0),
            };
            double value = (values[e] - b) / Math.Max(s, NormalizationEpsilon) * quadrature[e];
            normalized[e] = transpose ? value / correction : value;
        });

        return new PsiTensor(kernelSize, nlatOut, raw.NLonOut, raw.NLatIn, nlonIn, raw.RowOffsets, raw.Columns, normalized);
    }

    private static void ForEachEntry(PsiTensor psi, Action<int, int> action)
    {
        for (int k = 0; k < psi.KernelSize; k++)
        {
            for (int t = 0; t < psi.NLatOut; t++)
            {
                int row = psi.Row(k, t);
                for (int e = psi.RowOffsets[row]; e < psi.RowOffsets[row + 1]; e++)
                {
                    action(k, e);
                }
            }
        }
    }

    /// <summary>
    /// Psi rows for arbitrary output points (colatitude, longitude relative to column 0 of <paramref name="columns"/>, in
    /// radians): row r = k·points + j. Only latitude-independent normalisations (none, geometric) are defined for
    /// scattered points; the equivariance benchmark uses this to evaluate a convolution exactly at rotated positions.
    /// </summary>
    /// <exception cref="ArgumentException">A latitude-dependent normalisation or a bad cutoff was given.</exception>
    internal static PsiTensor BuildAtPoints(
        SphereGrid columns, FilterBasis basis, double thetaCutoff, BasisNormalization normalization, IReadOnlyList<(double Colatitude, double Longitude)> points)
    {
        if (normalization is not (BasisNormalization.None or BasisNormalization.Geometric))
        {
            throw new ArgumentException(
                $"Psi at scattered points needs a latitude-independent normalisation (none or geometric), not {normalization.ToName()}.", nameof(normalization));
        }

        // A one-column pseudo grid of output points: rows are the points, so the spec's row grid is only a size.
        SphereGrid pointRows = SphereGrid.Create(GridKind.LegendreGauss, Math.Max(points.Count, 1), 1);
        PsiSpec spec = new(pointRows, columns, basis, thetaCutoff, normalization, Transpose: false);
        ValidateCutoff(spec);
        CapGeometry geometry = new(columns, basis, spec.EffectiveCutoff);
        var perPoint = new RowEntries[points.Count];
        Parallel.For(0, points.Count, j =>
        {
            RowEntries entries = new(basis.KernelSize);
            geometry.Collect(points[j].Colatitude, points[j].Longitude, entries);
            perPoint[j] = entries;
        });

        PsiTensor raw = AssembleRows(basis.KernelSize, points.Count, 1, columns, perPoint);
        double[] quadrature = columns.LatitudeWeightArray;
        double scale = normalization == BasisNormalization.Geometric ? (1.0 - Math.Cos(thetaCutoff)) / 2.0 / 2.0 : 1.0;
        double[] values = new double[raw.StoredEntries];
        for (int e = 0; e < values.Length; e++)
        {
            values[e] = raw.Values[e] / scale * (quadrature[raw.Columns[e] / columns.NLon] / columns.NLon / 2.0);
        }

        return new PsiTensor(raw.KernelSize, raw.NLatOut, 1, raw.NLatIn, raw.NLonIn, raw.RowOffsets, raw.Columns, values);
    }

    /// <summary>
    /// Input columns p (ascending) whose longitude can fall inside the cap of radius r_c around the output point, from
    /// cos ϑ = cos θ' cos θ + sin θ' sin θ cos Δλ ≥ cos r_c, widened by a column on each side; every candidate is
    /// then tested exactly, so the margin costs time, never accuracy.
    /// </summary>
    private static void CandidateLongitudes(double outColatitude, double inColatitude, double cutoff, double offset, int nlon, List<int> candidates)
    {
        candidates.Clear();
        double denominator = Math.Sin(outColatitude) * Math.Sin(inColatitude);
        double halfWidth = Math.PI;
        if (denominator > 1e-12)
        {
            double cosine = (Math.Cos(cutoff) - Math.Cos(outColatitude) * Math.Cos(inColatitude)) / denominator;
            if (cosine > 1.0 + 1e-9)
            {
                return;
            }

            halfWidth = Math.Acos(Math.Clamp(cosine - 1e-9, -1.0, 1.0));
        }

        double step = 2.0 * Math.PI / nlon;
        long first = (long)Math.Floor((offset - halfWidth) / step) - 1;
        long last = (long)Math.Ceiling((offset + halfWidth) / step) + 1;
        if (last - first + 1 >= nlon)
        {
            for (int p = 0; p < nlon; p++)
            {
                candidates.Add(p);
            }

            return;
        }

        for (long p = first; p <= last; p++)
        {
            candidates.Add((int)(((p % nlon) + nlon) % nlon));
        }

        candidates.Sort();
    }

    private static PsiTensor Assemble(PsiSpec spec, RowEntries[] perLatitude) =>
        AssembleRows(spec.Basis.KernelSize, spec.RowGrid.NLat, spec.RowGrid.NLon, spec.ColumnGrid, perLatitude);

    private static PsiTensor AssembleRows(int kernelSize, int nlatOut, int nlonOut, SphereGrid columns, RowEntries[] perLatitude)
    {
        int[] offsets = new int[kernelSize * nlatOut + 1];
        long total = 0;
        for (int k = 0; k < kernelSize; k++)
        {
            for (int t = 0; t < nlatOut; t++)
            {
                total += perLatitude[t].Columns[k].Count;
                if (total > int.MaxValue)
                {
                    throw new ArgumentException(
                        "psi would hold more than 2^31 entries: reduce theta_cutoff or the grid size.", nameof(columns));
                }

                offsets[k * nlatOut + t + 1] = (int)total;
            }
        }

        int[] columnIndices = new int[total];
        double[] values = new double[total];
        for (int k = 0; k < kernelSize; k++)
        {
            for (int t = 0; t < nlatOut; t++)
            {
                int start = offsets[k * nlatOut + t];
                perLatitude[t].Columns[k].CopyTo(columnIndices, start);
                perLatitude[t].Values[k].CopyTo(values, start);
            }
        }

        return new PsiTensor(kernelSize, nlatOut, nlonOut, columns.NLat, columns.NLon, offsets, columnIndices, values);
    }

    private static void Validate(PsiSpec spec)
    {
        ValidateCutoff(spec);
        if (spec.ColumnGrid.NLon % spec.RowGrid.NLon != 0)
        {
            throw new ArgumentException(
                $"The fine grid's {spec.ColumnGrid.NLon} longitudes must be a multiple of the coarse grid's {spec.RowGrid.NLon}.", nameof(spec));
        }
    }

    private static void ValidateCutoff(PsiSpec spec)
    {
        if (!(spec.ThetaCutoff > 0.0) || !double.IsFinite(spec.ThetaCutoff) || spec.ThetaCutoff > Math.PI)
        {
            throw new ArgumentException(
                $"theta_cutoff = {spec.ThetaCutoff} is invalid: it must be a positive angle in radians, at most π.", nameof(spec));
        }
    }

    /// <summary>
    /// The column grid's trigonometry and the basis, ready to collect the cap around any output point: each candidate
    /// node is rotated by R_y(−θ') about the output point's meridian, written exactly as torch-harmonics writes it.
    /// </summary>
    private sealed class CapGeometry
    {
        private readonly SphereGrid _columns;
        private readonly FilterBasis _basis;
        private readonly double _cutoff;
        private readonly double[] _longitudes;
        private readonly double _tabulatedLongitude;
        private readonly double[] _cosBeta;
        private readonly double[] _sinBeta;
        private readonly double[] _cosGamma;
        private readonly double[] _sinGamma;

        // tabulatedLongitude: an output longitude whose cos β and sin β per column are precomputed (the grid path uses one for all rows).
        public CapGeometry(SphereGrid columns, FilterBasis basis, double cutoff, double tabulatedLongitude = 0.0)
        {
            _columns = columns;
            _basis = basis;
            _cutoff = cutoff;

            // torch-harmonics' longitudes are torch.linspace(0, 2π, nlon + 1)[:-1]; use the same values.
            _longitudes = LatitudeRules.TorchLinspace(0.0, 2.0 * Math.PI, columns.NLon + 1);
            _tabulatedLongitude = tabulatedLongitude;
            _cosBeta = new double[columns.NLon];
            _sinBeta = new double[columns.NLon];
            for (int p = 0; p < columns.NLon; p++)
            {
                double beta = Beta(p, tabulatedLongitude);
                _cosBeta[p] = Math.Cos(beta);
                _sinBeta[p] = Math.Sin(beta);
            }

            _cosGamma = new double[columns.NLat];
            _sinGamma = new double[columns.NLat];
            for (int i = 0; i < columns.NLat; i++)
            {
                _cosGamma[i] = Math.Cos(columns.Colatitude(i));
                _sinGamma[i] = Math.Sin(columns.Colatitude(i));
            }
        }

        // Exactly torch-harmonics' longitude when the output sits at column 0's longitude.
        private double Beta(int p, double outLongitude) => outLongitude == 0.0 ? _longitudes[p] : _longitudes[p] - outLongitude;

        /// <summary>Appends every (k, column, value) in the cap around (θ', λ'), columns ascending per k.</summary>
        public void Collect(double outColatitude, double outLongitude, RowEntries entries)
        {
            int kernelSize = _basis.KernelSize;
            int nlon = _columns.NLon;
            Span<double> values = stackalloc double[kernelSize];
            Span<bool> inSupport = stackalloc bool[kernelSize];
            List<int> candidates = new(nlon);
            double alpha = -outColatitude;
            double cosAlpha = Math.Cos(alpha);
            double sinAlpha = Math.Sin(alpha);
            ReadOnlySpan<double> inColatitudes = _columns.Colatitudes;
            for (int i = 0; i < inColatitudes.Length; i++)
            {
                // The great-circle distance is at least the colatitude difference: rows farther away hold nothing.
                if (Math.Abs(inColatitudes[i] - outColatitude) > _cutoff + 1e-9)
                {
                    continue;
                }

                CandidateLongitudes(outColatitude, inColatitudes[i], _cutoff, outLongitude, nlon, candidates);
                foreach (int p in candidates)
                {
                    bool tabulated = outLongitude == _tabulatedLongitude;
                    double cosBeta = tabulated ? _cosBeta[p] : Math.Cos(Beta(p, outLongitude));
                    double sinBeta = tabulated ? _sinBeta[p] : Math.Sin(Beta(p, outLongitude));
                    double x = cosAlpha * cosBeta * _sinGamma[i] + _cosGamma[i] * sinAlpha;
                    double y = sinBeta * _sinGamma[i];
                    double z = -cosBeta * sinAlpha * _sinGamma[i] + cosAlpha * _cosGamma[i];
                    double norm = Math.Sqrt(x * x + y * y + z * z);
                    x /= norm;
                    y /= norm;
                    z /= norm;
                    double theta = Math.Acos(z);
                    if (theta > _cutoff)
                    {
                        continue;
                    }

                    double phi = Math.Atan2(y, x);
                    if (phi < 0.0)
                    {
                        phi += 2 * Math.PI;
                    }

                    _basis.Evaluate(theta, phi, _cutoff, values, inSupport);
                    for (int k = 0; k < kernelSize; k++)
                    {
                        if (inSupport[k])
                        {
                            entries.Add(k, i * nlon + p, values[k]);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Entries of one output latitude, kept per basis function in ascending column order.</summary>
    private sealed class RowEntries
    {
        public RowEntries(int kernelSize)
        {
            Columns = new List<int>[kernelSize];
            Values = new List<double>[kernelSize];
            for (int k = 0; k < kernelSize; k++)
            {
                Columns[k] = [];
                Values[k] = [];
            }
        }

        public List<int>[] Columns { get; }

        public List<double>[] Values { get; }

        public void Add(int k, int column, double value)
        {
            Columns[k].Add(column);
            Values[k].Add(value);
        }
    }
}
