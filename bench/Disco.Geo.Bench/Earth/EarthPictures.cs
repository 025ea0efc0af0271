using Disco.Geo.Bench.Earth.Pictures;
using Disco.Geo.Grids;
using Disco.Geo.Pictures;
using Disco.Geo.Sphere.Data;
using Disco.Geo.Sphere.Inference;
using Disco.Geo.Sphere.Models;
using Disco.Geo.Sphere.Rotations;
using TorchSharp;
using static TorchSharp.torch;

namespace Disco.Geo.Bench.Earth;

/// <summary>Predictions for pictures and the colours of land/water maps.</summary>
internal static class EarthPictures
{
    public static readonly Colour Water = new(28, 62, 128);
    public static readonly Colour Land = new(196, 178, 120);
    public static readonly Colour FalseLand = new(230, 40, 40);
    public static readonly Colour FalseWater = new(255, 200, 0);

    /// <summary>Faded class colours behind the error highlights.</summary>
    public static readonly Colour CorrectWater = new(200, 212, 232);
    public static readonly Colour CorrectLand = new(236, 232, 220);

    /// <summary>Physical outputs [C, NLat, NLon] (probabilities, values or depth) of one input [bands, NLat, NLon].</summary>
    public static float[] Predict(SphereModel model, float[] input)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor x = tensor(input, [1, model.Config.InputChannels, model.Grid.NLat, model.Grid.NLon]);
        Tensor y = new SpherePredictor(model).Predict(x);
        return y.select(0, 0).contiguous().data<float>().ToArray();
    }

    /// <summary>Arg-max class per node of one input.</summary>
    public static int[] PredictClasses(SphereModel model, float[] input)
    {
        float[] probabilities = Predict(model, input);
        int nodes = model.Grid.NLat * model.Grid.NLon;
        int classes = probabilities.Length / nodes;
        int[] result = new int[nodes];
        for (int k = 0; k < nodes; k++)
        {
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (probabilities[c * nodes + k] > probabilities[best * nodes + k])
                {
                    best = c;
                }
            }

            result[k] = best;
        }

        return result;
    }

    /// <summary>Draws RGB bands (0..255) of a map.</summary>
    public static Action<Canvas, int, int> RgbPanel(SphereGrid grid, float[] rgb, int width, int height, double scale = 1)
    {
        int nodes = grid.NLat * grid.NLon;
        return (canvas, x, y) => SpherePanel.Draw(canvas, x, y, width, height, grid, (i, p) =>
        {
            int k = i * grid.NLon + p;
            return new Colour(Byte(rgb[k] * scale), Byte(rgb[nodes + k] * scale), Byte(rgb[2 * nodes + k] * scale));
        });
    }

    /// <summary>Draws a land/water class map.</summary>
    public static Action<Canvas, int, int> ClassPanel(SphereGrid grid, int[] classes, int width, int height) =>
        (canvas, x, y) => SpherePanel.Draw(canvas, x, y, width, height, grid, (i, p) => classes[i * grid.NLon + p] == 1 ? Land : Water);

    /// <summary>Draws where a prediction is wrong: false land red, missed land yellow, correct nodes in faded class colours.</summary>
    public static Action<Canvas, int, int> ErrorPanel(SphereGrid grid, int[] truth, int[] predicted, int width, int height) =>
        (canvas, x, y) => SpherePanel.Draw(canvas, x, y, width, height, grid, (i, p) =>
        {
            int k = i * grid.NLon + p;
            return (truth[k], predicted[k]) switch
            {
                (0, 1) => FalseLand,
                (1, 0) => FalseWater,
                (1, _) => CorrectLand,
                _ => CorrectWater,
            };
        });

    public static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);
}
