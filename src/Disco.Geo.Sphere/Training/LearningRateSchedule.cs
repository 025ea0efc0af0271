namespace Disco.Geo.Sphere.Training;

/// <summary>
/// Linear warm-up to the peak rate, then cosine decay to a floor (Loshchilov &amp; Hutter 2017, without restarts). A pure
/// function of the step, so a resumed run recomputes exactly the rates of an uninterrupted one.
/// </summary>
internal static class LearningRateSchedule
{
    /// <summary>The rate for step <paramref name="step"/> (0-based, the step about to be taken).</summary>
    public static double At(long step, long totalSteps, long warmupSteps, double peak, double minFraction)
    {
        if (step < warmupSteps)
        {
            return peak * (step + 1) / warmupSteps;
        }

        long decaySteps = Math.Max(1, totalSteps - warmupSteps);
        double progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        double floor = peak * minFraction;
        return floor + (peak - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>The warm-up length: the given value, or 5 % of the run (at least 1 step, at most half the run).</summary>
    public static long WarmupFor(int? requested, long totalSteps) =>
        requested is int steps ? Math.Min(steps, totalSteps) : Math.Clamp((long)Math.Round(0.05 * totalSteps), 1, Math.Max(1, totalSteps / 2));
}
