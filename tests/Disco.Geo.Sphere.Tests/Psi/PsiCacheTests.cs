using Disco.Geo.Grids;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Psi;

namespace Disco.Geo.Sphere.Tests.Psi;

public sealed class PsiCacheTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "disco-psi-tests-" + Guid.NewGuid().ToString("N"));

    private static PsiSpec Spec(int nlat = 33, BasisNormalization norm = BasisNormalization.Nodal) => new(
        SphereGrid.Create(GridKind.Equiangular, nlat, 2 * (nlat - 1)),
        SphereGrid.Create(GridKind.Equiangular, nlat, 2 * (nlat - 1)),
        FilterBasis.Create(BasisType.PiecewiseLinear, 3, 3),
        2 * Math.PI / (nlat - 1),
        norm,
        Transpose: false);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void A_built_psi_is_written_once_and_read_back_identically()
    {
        PsiSpec spec = Spec();
        PsiTensor built = new PsiCache(_directory, minimumNodesOnDisk: 0).GetOrBuild(spec);
        string file = Assert.Single(Directory.GetFiles(_directory));
        Assert.Equal(spec.Key() + ".psi", Path.GetFileName(file));

        PsiTensor loaded = Assert.IsType<PsiTensor>(PsiCache.Read(file, spec));
        Assert.Equal(built.RowOffsets, loaded.RowOffsets);
        Assert.Equal(built.Columns, loaded.Columns);
        Assert.Equal(built.Values, loaded.Values);

        // A fresh cache (a new process) takes it from disk without rewriting it.
        DateTime written = File.GetLastWriteTimeUtc(file);
        PsiTensor again = new PsiCache(_directory, minimumNodesOnDisk: 0).GetOrBuild(spec);
        Assert.Equal(built.Values, again.Values);
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));
    }

    [Fact]
    public void A_corrupt_or_foreign_file_is_rejected_and_rebuilt()
    {
        PsiSpec spec = Spec();
        PsiTensor built = new PsiCache(_directory, minimumNodesOnDisk: 0).GetOrBuild(spec);
        string file = Directory.GetFiles(_directory).Single();

        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(file, bytes);
        Assert.Null(PsiCache.Read(file, spec));

        PsiTensor rebuilt = new PsiCache(_directory, minimumNodesOnDisk: 0).GetOrBuild(spec);
        Assert.Equal(built.Values, rebuilt.Values);
        Assert.NotNull(PsiCache.Read(file, spec));

        // A file written for other parameters under this name is not trusted either.
        File.Copy(file, Path.Combine(_directory, "other.psi"));
        Assert.Null(PsiCache.Read(Path.Combine(_directory, "other.psi"), Spec(norm: BasisNormalization.Mean)));

        File.WriteAllBytes(file, bytes.AsSpan(0, 20).ToArray());
        Assert.Null(PsiCache.Read(file, spec));
    }

    [Fact]
    public void Every_parameter_changes_the_key()
    {
        PsiSpec baseline = Spec();
        string[] keys =
        [
            baseline.Key(),
            Spec(nlat: 17).Key(),
            Spec(norm: BasisNormalization.Mean).Key(),
            (baseline with { ThetaCutoff = baseline.ThetaCutoff * 1.5 }).Key(),
            (baseline with { Basis = FilterBasis.Create(BasisType.PiecewiseLinear, 3) }).Key(),
            (baseline with { Transpose = true }).Key(),
            (baseline with { RowGrid = baseline.RowGrid.WithLonOrigin(-170) }).Key(),
            (baseline with { ColumnGrid = SphereGrid.Create(GridKind.LegendreGauss, 33, 64) }).Key(),
        ];
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(baseline.Key(), Spec().Key());
    }

    [Fact]
    public void Small_grids_stay_in_memory_only()
    {
        PsiCache cache = new(_directory, minimumNodesOnDisk: 1 << 20);
        PsiTensor first = cache.GetOrBuild(Spec());
        Assert.Same(first, cache.GetOrBuild(Spec()));
        Assert.False(Directory.Exists(_directory));
    }
}
