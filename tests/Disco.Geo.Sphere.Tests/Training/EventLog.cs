using Disco.Geo.Sphere.Training;

namespace Disco.Geo.Sphere.Tests.Training;

/// <summary>Collects training events.</summary>
internal sealed class EventLog : IProgress<TrainingEvent>
{
    private readonly Action<TrainingEvent>? _then;

    public EventLog(Action<TrainingEvent>? then = null)
    {
        _then = then;
    }

    public List<TrainingEvent> Events { get; } = [];

    public void Report(TrainingEvent value)
    {
        Events.Add(value);
        _then?.Invoke(value);
    }
}
