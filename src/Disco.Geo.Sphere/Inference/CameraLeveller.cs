using Disco.Geo.Grids;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.FilterBases;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Sphere.Inference;

/// <summary>
/// Levelling of a panorama whose camera orientation is unknown, with a learned, rotation-equivariant estimate of "up"
/// (canonicalisation, Kaba et al., ICML 2023). A directional DISCO model is equivariant only to rotations about the
/// polar axis: its filters are oriented to the local meridian, so a tilted camera shows it a scene it never saw, and an
/// upright-trained model loses about half its mIoU. An isotropic DISCO segmentation model (kernel shape [n]) is
/// equivariant to every rotation, so the dipole of its "up" class (ceiling) against its "down" class (floor),
/// u = Σ_v a_v (p_up(v) − p_down(v)) v over the node areas a_v, turns with the camera. Rotating the input by the
/// shortest rotation Q with Q·u = north, predicting, and moving the raw output back by Q⁻¹ makes the directional
/// model's prediction follow any camera rotation: what is left of the rotation after levelling is a turn about the
/// pole, which the directional model handles. Inputs and raw outputs move bicubically across the poles (see
/// <see cref="GridRotation"/>), so the chain is equivariant up to that resampling and the error of the estimate.
/// </summary>
public sealed class CameraLeveller
{
    /// <summary>Levels with <paramref name="model"/>'s dipole of class <paramref name="upClass"/> against <paramref name="downClass"/>.</summary>
    /// <exception cref="ArgumentException">The model is not an isotropic DISCO segmentation model, or the classes are not two of its classes.</exception>
    public CameraLeveller(SphereModel model, int upClass, int downClass)
    {
        ArgumentNullException.ThrowIfNull(model);
        ModelConfig config = model.Config;
        if (!CanLevel(config))
        {
            throw new ArgumentException(
                "A leveller must be rotation-equivariant: a DISCO segmentation model with an isotropic kernel (kernel_shape [n]).", nameof(model));
        }

        if (upClass < 0 || upClass >= config.OutputChannels || downClass < 0 || downClass >= config.OutputChannels || upClass == downClass)
        {
            throw new ArgumentException($"The up and down classes ({upClass}, {downClass}) must be two different classes of 0..{config.OutputChannels - 1}.", nameof(upClass));
        }

        Model = model;
        UpClass = upClass;
        DownClass = downClass;
    }

    /// <summary>
    /// True when a model of <paramref name="config"/> turns with the camera and can serve as a leveller: a DISCO
    /// segmentation model whose kernel is isotropic, without orientation pooling.
    /// </summary>
    public static bool CanLevel(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Task == ModelTask.Segmentation && config.Architecture == ModelArchitecture.DiscoUnet
            && FilterBasis.Create(config.Basis, [.. config.KernelShape]).IsFullyIsotropic && !config.OrientationPooling;
    }

    /// <summary>The isotropic segmentation model whose class dipole gives "up".</summary>
    public SphereModel Model { get; }

    /// <summary>The class found above the camera (e.g. ceiling).</summary>
    public int UpClass { get; }

    /// <summary>The class found below the camera (e.g. floor).</summary>
    public int DownClass { get; }

    /// <summary>
    /// Extra passes of <see cref="Predict"/> that re-estimate up from the levelled segmentation model's own output and
    /// level again (0 = the leveller's estimate only). Needs a segmentation model with the leveller's classes.
    /// </summary>
    public int Refinements { get; init; }

    /// <summary>The estimated up direction of each sample of inputs [B, C, NLat, NLon] on the leveller's grid.</summary>
    /// <param name="input">Inputs [B, C, NLat, NLon].</param>
    /// <param name="valid">Nodes with data (non-zero) per node of the grid, shared by the batch; null = all.</param>
    public (double X, double Y, double Z)[] EstimateUp(Tensor input, byte[]? valid = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        using IDisposable noGrad = no_grad();
        using DisposeScope scope = NewDisposeScope();
        // The leveller and the model it serves may keep their weights in different precisions.
        ScalarType dtype = Model.parameters().First().dtype;
        return EstimateUp(Model.ToPhysical(Model.forward(input.dtype == dtype ? input : input.to(dtype))), Model.Grid, UpClass, DownClass, valid);
    }

    /// <summary>
    /// The estimated up direction (unit vector; north is (0, 0, 1), x towards longitude 0) of each sample of <paramref name="probabilities"/>
    /// [B, C, NLat, NLon] on <paramref name="grid"/>: the area-weighted dipole of class <paramref name="upClass"/> minus
    /// class <paramref name="downClass"/>, over the nodes <paramref name="valid"/> marks (all when null): a photo's
    /// transparent sky has no data, and what a model makes of the filler there must not pull "up". North when the
    /// dipole vanishes.
    /// </summary>
    public static (double X, double Y, double Z)[] EstimateUp(Tensor probabilities, SphereGrid grid, int upClass, int downClass, byte[]? valid = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(grid);
        if (probabilities.dim() != 4 || probabilities.shape[2] != grid.NLat || probabilities.shape[3] != grid.NLon)
        {
            throw new ArgumentException($"Expected probabilities [B, C, {grid.NLat}, {grid.NLon}], got [{string.Join(", ", probabilities.shape)}].", nameof(probabilities));
        }

        int classes = (int)probabilities.shape[1];
        if (upClass < 0 || upClass >= classes || downClass < 0 || downClass >= classes || upClass == downClass)
        {
            throw new ArgumentException($"The up and down classes ({upClass}, {downClass}) must be two different classes of 0..{classes - 1}.", nameof(upClass));
        }

        if (valid is not null && valid.Length != grid.NLat * grid.NLon)
        {
            throw new ArgumentException($"Expected {grid.NLat * grid.NLon} validity flags, one per node, got {valid.Length}.", nameof(valid));
        }

        using DisposeScope scope = NewDisposeScope();
        float[] difference = (probabilities[.., upClass] - probabilities[.., downClass]).to(float32).cpu().data<float>().ToArray();
        int batch = (int)probabilities.shape[0];
        int nodes = grid.NLat * grid.NLon;
        (double X, double Y, double Z)[] ups = new (double, double, double)[batch];
        for (int b = 0; b < batch; b++)
        {
            double sx = 0, sy = 0, sz = 0;
            for (int i = 0; i < grid.NLat; i++)
            {
                double area = grid.NodeArea(i);
                double colatitude = grid.Colatitude(i);
                for (int p = 0; p < grid.NLon; p++)
                {
                    double weight = valid is null || valid[i * grid.NLon + p] != 0 ? area * difference[b * nodes + i * grid.NLon + p] : 0;
                    (double x, double y, double z) = Rotation.ToVector(colatitude, grid.LongitudeDegrees(p) * (Math.PI / 180));
                    sx += weight * x;
                    sy += weight * y;
                    sz += weight * z;
                }
            }

            double norm = Math.Sqrt(sx * sx + sy * sy + sz * sz);
            ups[b] = norm > 0 && double.IsFinite(norm) ? (sx / norm, sy / norm, sz / norm) : (0, 0, 1);
        }

        return ups;
    }

    /// <summary>
    /// The shortest rotation Q with Q·<paramref name="up"/> = north (0, 0, 1): about the axis up × north; a half turn
    /// about the x axis when up is south.
    /// </summary>
    public static Rotation RotationToUpright((double X, double Y, double Z) up)
    {
        double norm = Math.Sqrt(up.X * up.X + up.Y * up.Y + up.Z * up.Z);
        if (!(norm > 0) || !double.IsFinite(norm))
        {
            throw new ArgumentException("The up direction must be a finite non-zero vector.", nameof(up));
        }

        double x = up.X / norm, y = up.Y / norm, z = up.Z / norm;
        double angle = Math.Acos(Math.Clamp(z, -1, 1));
        double axisNorm = Math.Sqrt(x * x + y * y); // |up × north| = sin(angle)
        if (axisNorm < 1e-12)
        {
            return z > 0 ? Rotation.Identity : Rotation.AboutX(Math.PI);
        }

        // up × north = (y, −x, 0).
        return Rotation.FromAxisAngle(y, -x, 0, angle);
    }

    /// <summary>
    /// Physical outputs of <paramref name="model"/> on inputs [B, C, NLat, NLon], each sample levelled first by this
    /// leveller's estimate (refined <see cref="Refinements"/> times) and the raw output moved back; also returns the
    /// up directions used.
    /// </summary>
    /// <param name="model">The model to run levelled: on the leveller's grid and input bands.</param>
    /// <param name="input">Inputs [B, C, NLat, NLon].</param>
    /// <param name="valid">Nodes with data (non-zero) per node, shared by the batch; null = all (see <see cref="EstimateUp(Tensor, SphereGrid, int, int, byte[])"/>).</param>
    public (Tensor Physical, (double X, double Y, double Z)[] Ups) Predict(SphereModel model, Tensor input, byte[]? valid = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (!model.Config.Grid.Equals(Model.Config.Grid) || model.Config.InputChannels != Model.Config.InputChannels)
        {
            throw new ArgumentException("The leveller and the model must share the grid and the input bands.", nameof(model));
        }

        if (Refinements > 0 && (model.Config.Task != ModelTask.Segmentation || model.Config.OutputChannels != Model.Config.OutputChannels))
        {
            throw new ArgumentException("Refining the levelling needs a segmentation model with the leveller's classes.", nameof(model));
        }

        using IDisposable noGrad = no_grad();
        using DisposeScope scope = NewDisposeScope();
        SphereGrid grid = model.Grid;
        (double X, double Y, double Z)[] ups = EstimateUp(input, valid);
        List<Tensor> outputs = [];
        for (int b = 0; b < ups.Length; b++)
        {
            Tensor sample = input[b..(b + 1)];
            for (int pass = 0; ; pass++)
            {
                using DisposeScope inner = NewDisposeScope();
                Rotation level = RotationToUpright(ups[b]);
                GridRotation? there = ReferenceEquals(level, Rotation.Identity) ? null : GridRotation.Create(grid, level, Interpolation.Bicubic);
                Tensor raw = model.forward(there?.Interpolate(sample) ?? sample);
                if (pass == Refinements)
                {
                    Tensor back = there is null ? raw : GridRotation.Create(grid, level.Inverse(), Interpolation.Bicubic).Interpolate(raw);
                    outputs.Add(model.ToPhysical(back).MoveToOuterDisposeScope());
                    break;
                }

                // The directional model sees the levelled scene nearly upright, where it tells ceiling from floor far
                // better than the isotropic leveller; its dipole, turned back to the camera's frame, is the next estimate
                // (over the nodes that are valid after levelling).
                byte[]? levelledValid = valid is null || there is null ? valid : Valid(there.Nearest(tensor(valid, [grid.NLat, grid.NLon])));
                (double x, double y, double z) = EstimateUp(model.ToPhysical(raw), grid, UpClass, DownClass, levelledValid)[0];
                ups[b] = level.ApplyInverse(x, y, z);
            }
        }

        return (cat(outputs, 0).MoveToOuterDisposeScope(), ups);
    }

    private static byte[] Valid(Tensor flags) => flags.to(ScalarType.Byte).cpu().data<byte>().ToArray();
}
