using Disco.Geo.Engine;
using Disco.Geo.Server.Storage.Records;
using Google.Protobuf.WellKnownTypes;

namespace Disco.Geo.Server.Jobs;

/// <summary>Turns an engine's <see cref="EngineProgress"/> into the job's <see cref="JobProgressRecord"/>.</summary>
internal sealed class EngineProgressAdapter(JobContext context) : IProgress<EngineProgress>
{
    public void Report(EngineProgress value)
    {
        var progress = new JobProgressRecord
        {
            Fraction = double.IsFinite(value.Fraction) ? Math.Clamp(value.Fraction, 0, 1) : 0,
            Stage = value.Stage,
            Message = value.Message,
            Step = value.Step,
            TotalSteps = value.TotalSteps,
            Epoch = value.Epoch,
            TotalEpochs = value.TotalEpochs,
            Throughput = value.Throughput,
            ThroughputUnit = value.ThroughputUnit ?? "",
        };
        if (value.Eta is { } eta && eta >= TimeSpan.Zero)
        {
            progress.Eta = Duration.FromTimeSpan(eta);
        }

        if (value.Metrics is not null)
        {
            foreach ((string name, double metric) in value.Metrics)
            {
                progress.Metrics[name] = metric;
            }
        }

        context.Report(progress);
    }
}
