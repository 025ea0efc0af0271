using System.Globalization;
using System.Text.Json;
using Disco.Geo.Pictures;

namespace Disco.Geo.Cli.Pictures;

/// <summary>
/// Learning curves of a trained model as a PNG, read from its card's provenance: the training loss per step
/// (<c>loss_curve</c>, [[step, loss], …]) on the left, and the validation metric per evaluation
/// (<c>validations</c>, with <c>validation_metric</c> naming it) on the right when the run had a validation split.
/// </summary>
internal static class TrainingCurvesPicture
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 260;
    private static readonly Colour Ink = new(40, 40, 40);
    private static readonly Colour Axis = new(150, 150, 150);
    private static readonly Colour Loss = new(0x4c, 0x72, 0xb0);
    private static readonly Colour Metric = new(0xdd, 0x84, 0x52);

    /// <summary>Draws the curves of the model card <paramref name="cardJson"/>.</summary>
    /// <exception cref="UsageException">The card has no learning curve (the model was not trained by this server).</exception>
    public static Canvas Draw(string modelName, string cardJson)
    {
        using JsonDocument card = JsonDocument.Parse(cardJson);
        if (!card.RootElement.TryGetProperty("provenance", out JsonElement provenance)
            || !provenance.TryGetProperty("loss_curve", out JsonElement lossText)
            || lossText.GetString() is not { } lossJson)
        {
            throw new UsageException($"Model {modelName} has no learning curve in its card (it was not trained by a Disco.Geo server); nothing to draw.");
        }

        List<(double X, double Y)> loss = [];
        using (JsonDocument curve = JsonDocument.Parse(lossJson))
        {
            foreach (JsonElement point in curve.RootElement.EnumerateArray())
            {
                loss.Add((point[0].GetDouble(), point[1].GetDouble()));
            }
        }

        string metricName = provenance.TryGetProperty("validation_metric", out JsonElement m) ? m.GetString() ?? "" : "";
        List<(double X, double Y)> validation = [];
        if (metricName.Length > 0 && provenance.TryGetProperty("validations", out JsonElement validationsText) && validationsText.GetString() is { } validationsJson)
        {
            using JsonDocument validations = JsonDocument.Parse(validationsJson);
            foreach (JsonElement v in validations.RootElement.EnumerateArray())
            {
                if (v.GetProperty("metrics").TryGetProperty(metricName, out JsonElement value))
                {
                    validation.Add((v.GetProperty("step").GetDouble(), value.GetDouble()));
                }
            }
        }

        int panels = validation.Count > 0 ? 2 : 1;
        var canvas = new Canvas((panels * (PanelWidth + 20)) + 20, PanelHeight + 60, Colour.White);
        canvas.DrawText(20, 12, $"{modelName}: learning curves", Ink, 2);
        Panel(canvas, 20, 40, "training loss per step", loss, Loss);
        if (validation.Count > 0)
        {
            Panel(canvas, 20 + PanelWidth + 20, 40, $"validation {metricName} per evaluation", validation, Metric);
        }

        return canvas;
    }

    private static void Panel(Canvas canvas, int left, int top, string title, IReadOnlyList<(double X, double Y)> points, Colour colour)
    {
        canvas.DrawText(left, top, title, Ink);
        int x0 = left + 48, y0 = top + 14, width = PanelWidth - 56, height = PanelHeight - 40;
        canvas.DrawLine(x0, y0, x0, y0 + height, Axis);
        canvas.DrawLine(x0, y0 + height, x0 + width, y0 + height, Axis);
        if (points.Count == 0)
        {
            return;
        }

        double minX = points.Min(p => p.X), maxX = Math.Max(points.Max(p => p.X), minX + 1);
        double minY = points.Min(p => p.Y), maxY = points.Max(p => p.Y);
        if (maxY - minY < 1e-12)
        {
            minY -= 0.5;
            maxY += 0.5;
        }

        int Px(double x) => x0 + (int)Math.Round((x - minX) / (maxX - minX) * width);
        int Py(double y) => y0 + height - (int)Math.Round((y - minY) / (maxY - minY) * height);
        canvas.DrawText(left, y0, Format(maxY), Ink);
        canvas.DrawText(left, y0 + height - 7, Format(minY), Ink);
        canvas.DrawText(x0, y0 + height + 6, Format(minX), Ink);
        string end = Format(maxX);
        canvas.DrawText(x0 + width - Canvas.TextWidth(end), y0 + height + 6, end, Ink);
        for (int i = 1; i < points.Count; i++)
        {
            canvas.DrawLine(Px(points[i - 1].X), Py(points[i - 1].Y), Px(points[i].X), Py(points[i].Y), colour, 2);
        }

        if (points.Count == 1)
        {
            canvas.FillRectangle(Px(points[0].X) - 2, Py(points[0].Y) - 2, 5, 5, colour);
        }
    }

    private static string Format(double value) =>
        Math.Abs(value) >= 1000 || value == Math.Round(value) ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);
}
